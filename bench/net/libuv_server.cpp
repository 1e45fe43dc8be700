// The libuv peer of examples/web_server for bench/net: one uv_loop on one thread, HTTP/1.1
// keep-alive with minimal parsing (every "\r\n\r\n" ends a request), a fixed "Hello, World!"
// for every request. Pipelined requests that arrive together are answered with one write.
// A connection owns its 4 KiB read buffer, as in libuv's usual examples.
//
//   libuv_server [--port P]
#include <uv.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view hello =
    "HTTP/1.1 200 OK\r\nServer: libuv\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
    "Hello, World!";
constexpr std::size_t batch = 64;  // responses per buffer
std::string hellos;                // `batch` copies of the response; never changes once built

struct connection {
  uv_tcp_t handle;  // first: a uv_handle_t* to it is a connection*
  std::size_t have = 0;
  char buf[4096];
};

// A write that uv_try_write could not finish: the rest goes through uv_write. The data is
// static, so only the request is allocated.
struct pending_write {
  uv_write_t req;
};

connection* owner(uv_handle_t* h) {
  return reinterpret_cast<connection*>(h);
}

void on_close(uv_handle_t* h) {
  delete owner(h);
}

void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* out) {
  connection* c = owner(h);
  *out = uv_buf_init(c->buf + c->have, static_cast<unsigned>(sizeof c->buf - c->have));
}

void on_written(uv_write_t* req, int) {
  delete reinterpret_cast<pending_write*>(req);
}

// Sends `count` responses: directly when the socket takes them, else queued.
void respond(connection* c, std::size_t count) {
  auto* stream = reinterpret_cast<uv_stream_t*>(&c->handle);
  while (count > 0) {
    const std::size_t k = count < batch ? count : batch;
    count -= k;
    const std::size_t len = k * hello.size();
    uv_buf_t b = uv_buf_init(hellos.data(), static_cast<unsigned>(len));
    const int n = uv_try_write(stream, &b, 1);
    if (n == static_cast<int>(len)) continue;
    if (n < 0 && n != UV_EAGAIN) {
      uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), on_close);
      return;
    }
    const std::size_t done = n > 0 ? static_cast<std::size_t>(n) : 0;
    b = uv_buf_init(hellos.data() + done, static_cast<unsigned>(len - done));
    auto* w = new pending_write;
    if (uv_write(&w->req, stream, &b, 1, on_written) != 0) {
      delete w;
      uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), on_close);
      return;
    }
  }
}

void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
  connection* c = owner(reinterpret_cast<uv_handle_t*>(s));
  if (nread < 0) {  // UV_EOF or an error
    uv_close(reinterpret_cast<uv_handle_t*>(s), on_close);
    return;
  }
  c->have += static_cast<std::size_t>(nread);
  std::size_t pos = 0;
  std::size_t count = 0;
  for (;;) {
    const std::string_view rest(c->buf + pos, c->have - pos);
    const std::size_t end = rest.find("\r\n\r\n");
    if (end == std::string_view::npos) break;
    pos += end + 4;
    ++count;
  }
  std::memmove(c->buf, c->buf + pos, c->have - pos);
  c->have -= pos;
  if (count > 0) respond(c, count);
  if (c->have == sizeof c->buf && !uv_is_closing(reinterpret_cast<uv_handle_t*>(s)))
    uv_close(reinterpret_cast<uv_handle_t*>(s), on_close);  // a head over 4 KiB
}

void on_connection(uv_stream_t* listener, int status) {
  if (status < 0) return;
  auto* c = new (std::nothrow) connection;
  if (c == nullptr) return;
  uv_tcp_init(listener->loop, &c->handle);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->handle)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), on_close);
    return;
  }
  uv_tcp_nodelay(&c->handle, 1);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->handle), on_alloc, on_read);
}

void on_signal(uv_signal_t* h, int) {
  uv_stop(h->loop);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned port = 8080;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help") {
      std::printf("usage: libuv_server [--port P]\n");
      return 0;
    }
    const std::string_view v = i + 1 < argc ? argv[i + 1] : "";
    if (a != "--port" || v.empty() ||
        std::from_chars(v.data(), v.data() + v.size(), port).ptr != v.data() + v.size() ||
        port > 65535) {
      std::fprintf(stderr, "libuv_server: bad flag %s (usage: libuv_server [--port P])\n", argv[i]);
      return 2;
    }
    ++i;
  }
  std::signal(SIGPIPE, SIG_IGN);
  for (std::size_t i = 0; i < batch; ++i) hellos += hello;

  uv_loop_t* loop = uv_default_loop();
  uv_tcp_t listener;
  uv_tcp_init(loop, &listener);
  sockaddr_in at{};
  uv_ip4_addr("127.0.0.1", static_cast<int>(port), &at);
  int rc = uv_tcp_bind(&listener, reinterpret_cast<const sockaddr*>(&at), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener), 4096, on_connection);
  if (rc != 0) {
    std::fprintf(stderr, "libuv_server: listen on port %u: %s\n", port, uv_strerror(rc));
    return 1;
  }
  sockaddr_in bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&listener, reinterpret_cast<sockaddr*>(&bound), &len);
  std::printf("listening on 127.0.0.1:%u\n", ntohs(bound.sin_port));
  std::fflush(stdout);

  uv_signal_t sigint, sigterm;
  uv_signal_init(loop, &sigint);
  uv_signal_init(loop, &sigterm);
  uv_signal_start(&sigint, on_signal, SIGINT);
  uv_signal_start(&sigterm, on_signal, SIGTERM);
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}
