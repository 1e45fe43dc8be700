// One connection's life. Between requests it holds no buffer: it waits for readability only.
// Then it reads and parses with head_parser (http_head.hpp), which pauses after each message so
// pipelined requests are answered one at a time, in order. Deadlines are enforced by the loop's
// sweeper through the connection's stop token: whatever the connection awaits then ends with
// brigade::operation_cancelled, and the connection closes.
#include "http_connection.hpp"

#include "http_body.hpp"
#include "http_head.hpp"
#include "http_message.hpp"
#include "loop_server.hpp"
#include "routes.hpp"

#include <brigade/core/errors.hpp>
#if WEB_SERVER_TLS
#include <brigade/tls/tls_stream.hpp>
#endif

#include <http_parser.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace web {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t file_chunk_bytes = 64 * 1024;
// Answers to pipelined requests held back to go out in one write, at most this many bytes.
constexpr std::size_t pipelined_answer_bytes = 32 * 1024;
// What a closing connection still reads and drops (see linger).
constexpr std::size_t linger_bytes = 1024 * 1024;
constexpr std::chrono::milliseconds linger_time = 2s;

// The connection's state that outlives single requests. It is serve's parameter, so it lives
// in serve's frame once (a coroutine keeps its own copy of each parameter: a connection passed
// in pieces would be kept twice). Stream: brigade::tcp_stream, or brigade::tls_stream for HTTPS.
template <class Stream>
struct connection : connection_entry {
  connection(Stream s, loop_server& srv, std::stop_source st) : stream(std::move(s)), server(srv) {
    stop = std::move(st);
    fd = stream.native_handle();
    if constexpr (std::is_same_v<Stream, brigade::tcp_stream>)
      direct_io = stream.loop().backend() == brigade::io_backend::epoll;
  }
  // Moved only before it has entered the server's lists: into serve's frame.
  connection(connection&&) noexcept = default;
  connection& operator=(connection&&) = delete;
  ~connection() {
    if (entered) server.leave(*this);
  }
  // The server counts and can reach it from here on (loop thread; serve's body).
  void enter() noexcept {
    server.enter(*this);
    entered = true;
  }

  Stream stream;
  loop_server& server;
  // Plain TCP on epoll: read a connection just reported readable, and write responses, with
  // the system call itself (try_read, try_write) instead of an operation through the loop. The
  // same system calls as the loop would make, less its queueing and one resumption each. Not on
  // io_uring: there, two submissions per request batched per loop turn cost less than two
  // system calls (measured: 10% more CPU per request at 10 connections with them).
  bool direct_io = false;
  bool entered = false;
};

// Writes all of data. Each write that makes progress renews the deadline: only a client that
// stops reading is cut off.
// With direct_io the system call itself comes first (try_write): a response that fits the
// socket's send buffer, the usual case, then goes out without a trip through the loop.
template <class Stream>
brigade::task<void> send_all(connection<Stream>& c, std::span<const std::byte> data) {
  while (!data.empty()) {
    c.expire_after(c.server.config().idle_timeout);
    if constexpr (std::is_same_v<Stream, brigade::tcp_stream>) {
      if (c.direct_io) {
        if (const std::optional<std::size_t> n = c.stream.try_write(data)) {
          data = data.subspan(*n);
          continue;
        }
      }
    }
    data = data.subspan(co_await c.stream.write_some(data));
  }
}

// Streams size bytes of a file from offset in chunks read on the loop (io_uring, or the pool under
// epoll). False when the file shrank after its size was announced: the connection must then close.
template <class Stream>
brigade::task<bool> send_file(connection<Stream>& c, brigade::file& f, std::uint64_t offset,
                              std::uint64_t size) {
  const std::size_t cap = static_cast<std::size_t>(std::min<std::uint64_t>(size, file_chunk_bytes));
  const std::unique_ptr<std::byte[]> chunk(new std::byte[cap]);
  for (std::uint64_t at = 0; at < size;) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(size - at, cap));
    const std::size_t n = co_await f.read_at(std::span(chunk.get(), want), offset + at);
    if (n == 0) co_return false;
    co_await send_all(c, std::span<const std::byte>(chunk.get(), n));
    at += n;
  }
  co_return true;
}

// Appends res's head, and its body when held in memory, to out.
void append_response(std::string& out, const request& req, const response& res, bool keep) {
  const std::uint64_t length = res.file ? res.file_size : res.body.size();
  append_response_head(out, res, length, keep);
  if (!req.head && !res.file) out += res.body;
}

// Sends what out holds (answers to earlier pipelined requests, if any) and then res. False when
// the connection must close because the body fell short of Content-Length. `out` is the
// connection's lent scratch; it is empty again afterwards.
template <class Stream>
brigade::task<bool> send_response(connection<Stream>& c, const request& req, response& res,
                                  bool keep, std::string& out) {
  append_response(out, req, res, keep);
  co_await send_all(c, std::as_bytes(std::span(out)));
  out.clear();
  if (req.head || !res.file) co_return true;
  co_return co_await send_file(c, *res.file, res.file_offset, res.file_size);
}

// Closing a socket with unread input makes the kernel send RST, which can destroy the response
// just sent before the client reads it. So: send FIN, then read and drop what the client still
// sends (bounded in bytes and time) until it closes its side.
template <class Stream>
brigade::task<void> linger(connection<Stream>& c, std::span<char> scratch) {
  if constexpr (std::is_same_v<Stream, brigade::tcp_stream>) {
    c.stream.shutdown_write();
  } else {
    co_await c.stream.shutdown();  // close_notify
  }
  c.expire_after(std::min(linger_time, c.server.config().header_timeout));
  for (std::size_t dropped = 0; dropped < linger_bytes;) {
    const std::size_t n = co_await c.stream.read(scratch);
    if (n == 0) break;
    dropped += n;
  }
}

// Reads, parses and answers requests until the input ends at a request boundary (true: wait
// for the next one) or the connection must close (false).
template <class Stream>
brigade::task<bool> serve_requests(connection<Stream>& c) {
  const server_config& cfg = c.server.config();
  // The read buffer and the response's: lent by the loop for as long as this runs (an idle
  // connection holds neither), so a request allocates no buffer.
  const scratch_lease scratch(c.server);
  char* const buf = scratch->read.get();
  std::string& out = scratch->out;
  const std::span<char> space(buf, request_scratch::read_bytes);
  std::size_t begin = 0;
  std::size_t end = 0;
  bool answered = false;
  char byte_before_buffer = '\n';  // the last byte of the previous read
  head_parser parser(cfg);
  // serve() calls this when the connection turned readable: with direct_io the first read takes
  // what is there with one system call. Later reads wait through the loop, so a client that
  // keeps sending cannot keep the loop to itself.
  bool just_readable = true;
  // Reads the next bytes into the buffer (all before them are consumed); false at the end.
  // Answers held back for pipelined requests go out first: the client may wait for them.
  auto refill = [&]() -> brigade::task<bool> {
    if (!out.empty()) {
      co_await send_all(c, std::as_bytes(std::span(out)));
      out.clear();
    }
    if (end > 0) byte_before_buffer = buf[end - 1];
    std::optional<std::size_t> got;
    if constexpr (std::is_same_v<Stream, brigade::tcp_stream>) {
      if (std::exchange(just_readable, false) && c.direct_io) got = c.stream.try_read(space);
    }
    const std::size_t n = got ? *got : co_await c.stream.read(space);
    begin = 0;
    end = n;
    co_return n != 0;
  };
  // From a request's first byte to the end of its headers: one fixed deadline, not renewed by
  // progress, so that trickling bytes (slowloris) does not keep a connection.
  c.expire_after(cfg.header_timeout);
  for (;;) {
    if (begin == end) {
      if (answered && !parser.in_message()) {
        if (!out.empty()) co_await send_all(c, std::as_bytes(std::span(out)));
        co_return true;
      }
      if (!co_await refill()) co_return false;  // the client closed its side
    }
    begin += parser.parse(std::string_view(buf, end), begin, byte_before_buffer);
    const auto err = parser.status();
    if (err == HPE_OK && begin == end) continue;
    if (err != HPE_PAUSED) {
      response res = parser.error_response();
      co_await send_response(c, parser.request(), res, false, out);
      co_await linger(c, space);
      co_return false;
    }
    if (std::optional<body_reader>& body = parser.body()) {
      // the parser left the body to us: framed strictly, then dropped
      for (;;) {
        begin += body->feed(std::string_view(buf + begin, end - begin));
        const body_reader::status b = body->state();
        if (b == body_reader::status::done) break;
        if (b != body_reader::status::more) {
          response res =
              b == body_reader::status::too_large
                  ? text_response(
                        413, "request body over " + std::to_string(cfg.max_body_bytes) + " bytes\n")
                  : text_response(400, "bad request: malformed chunked body\n");
          co_await send_response(c, parser.request(), res, false, out);
          co_await linger(c, space);
          co_return false;
        }
        c.expire_after(cfg.idle_timeout);  // a body: progress counts
        if (!co_await refill()) co_return false;
      }
      body.reset();
    }
    c.no_deadline();  // computing the answer is our time, not the client's
    const request& req = parser.request();
    response res;
    try {
      res = co_await route(req, c.server.shared(), c.fd);
    } catch (const brigade::operation_cancelled&) {
      throw;
    } catch (const std::exception&) {
      res = text_response(500, "internal server error\n");
    }
    const bool keep = req.keep_alive && !parser.upgrade() && !c.server.draining();
    if (keep && !res.file && begin < end && out.size() < pipelined_answer_bytes) {
      // More of a pipelined request is here already: answer it in the same write (one write
      // per batch, as nginx does). refill and the end of the batch send what is held.
      append_response(out, req, res, keep);
    } else if (!co_await send_response(c, req, res, keep, out) || !keep) {
      co_await linger(c, space);
      co_return false;
    }
    answered = true;
    parser.resume();
    c.expire_after(cfg.header_timeout);
  }
}

// Serves requests on a new connection until it closes (see serve_connection). The connection
// lives in this frame: one frame per idle connection, not two.
template <class Stream>
brigade::task<void> serve(connection<Stream> c) {
  c.enter();
  try {
    if constexpr (!std::is_same_v<Stream, brigade::tcp_stream>) {
      c.expire_after(c.server.config().header_timeout);  // the handshake is the client's time
      co_await c.stream.handshake();
    }
    for (;;) {
      // Idle: this frame and the socket are all the connection costs.
      c.server.set_waiting(c, true);
      c.expire_after(c.server.config().idle_timeout);
      co_await c.stream.wait_readable();
      c.server.set_waiting(c, false);
      if (!co_await serve_requests(c)) break;
    }
  } catch (const brigade::operation_cancelled&) {
    // A deadline passed, or the server drains: close without a word.
  } catch (const std::exception&) {
    // Reset by the peer, a failed TLS handshake, or out of memory for this connection: nobody
    // left to answer.
  }
}

}  // namespace

brigade::task<void> serve_connection(brigade::tcp_stream stream, loop_server& server,
                                     std::stop_source stop) {
#if WEB_SERVER_TLS
  if (const brigade::tls_context* tls = server.shared().tls.get()) {
    // No memory for OpenSSL's state throws here, before any connection registered: admit()
    // gives the slot back and the socket closes.
    return serve(connection<brigade::tls_stream>(
        brigade::tls_stream::server(*tls, std::move(stream)), server, std::move(stop)));
  }
#endif
  return serve(connection<brigade::tcp_stream>(std::move(stream), server, std::move(stop)));
}

}  // namespace web
