// The Asio peer of examples/web_server for bench/net: standalone Asio, C++20 coroutines
// (co_spawn + use_awaitable), one io_context on one thread, HTTP/1.1 keep-alive with minimal
// parsing: every "\r\n\r\n" ends a request. Pipelined requests that arrive together are answered
// with one write. GET /compute?n=N counts the primes below N (the same segmented sieve as the
// web server) on a thread pool (--compute pool, the default) or inline on the loop (--compute
// inline); every other request gets a fixed "Hello, World!".
//
//   asio_server [--port P] [--compute pool|inline] [--pool-threads K]
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using asio::ip::tcp;

constexpr std::string_view hello =
    "HTTP/1.1 200 OK\r\nServer: asio\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
    "Hello, World!";
constexpr std::size_t batch = 64;  // responses per write, at most

struct config {
  unsigned short port = 8080;
  bool inline_compute = false;
  std::size_t pool_threads = 1;
};

// The primes below n: a segmented sieve, as examples/web_server/routes.cpp (run serially here).
std::uint64_t count_primes_below(std::uint64_t n) {
  if (n <= 2) return 0;
  std::uint64_t root = 1;
  while ((root + 1) * (root + 1) < n) ++root;
  std::vector<std::uint32_t> base;
  std::vector<bool> sieved(root + 1);
  for (std::uint64_t i = 2; i <= root; ++i) {
    if (sieved[i]) continue;
    base.push_back(static_cast<std::uint32_t>(i));
    for (std::uint64_t j = i * i; j <= root; j += i) sieved[j] = true;
  }
  constexpr std::uint64_t segment = 1 << 16;
  std::vector<char> composite(segment);
  std::uint64_t count = 0;
  for (std::uint64_t lo = 2; lo < n; lo += segment) {
    const std::uint64_t hi = std::min(n, lo + segment);
    std::fill(composite.begin(), composite.end(), 0);
    for (const std::uint64_t p : base) {
      if (p * p >= hi) break;
      for (std::uint64_t j = std::max(p * p, (lo + p - 1) / p * p); j < hi; j += p)
        composite[j - lo] = 1;
    }
    for (std::uint64_t i = lo; i < hi; ++i) count += composite[i - lo] == 0 ? 1 : 0;
  }
  return count;
}

asio::awaitable<std::uint64_t> compute_on_pool(std::uint64_t n) {
  co_return count_primes_below(n);
}

struct server {
  config cfg;
  std::string hellos;  // `batch` copies of the response, for pipelined requests
  asio::thread_pool pool;
  explicit server(const config& c) : cfg(c), pool(c.pool_threads) {
    for (std::size_t i = 0; i < batch; ++i) hellos += hello;
  }
};

std::string computed_response(std::uint64_t n, std::uint64_t primes) {
  const std::string body =
      "primes below " + std::to_string(n) + ": " + std::to_string(primes) + "\n";
  return "HTTP/1.1 200 OK\r\nServer: asio\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

asio::awaitable<void> session(tcp::socket s, server& srv) {
  asio::error_code ec;
  s.set_option(tcp::no_delay(true), ec);
  std::array<char, 4096> buf;  // in the coroutine frame: a connection's whole buffer
  std::size_t have = 0;
  for (;;) {
    const std::size_t n =
        co_await s.async_read_some(asio::buffer(buf.data() + have, buf.size() - have),
                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // end of stream or reset
    have += n;
    std::size_t pos = 0;
    std::size_t pending = 0;  // hello responses owed, written together
    for (;;) {
      const std::string_view rest(buf.data() + pos, have - pos);
      const std::size_t end = rest.find("\r\n\r\n");
      if (end == std::string_view::npos) break;
      const std::string_view head = rest.substr(0, end);
      pos += end + 4;
      constexpr std::string_view compute = "GET /compute?n=";
      if (!head.starts_with(compute)) {
        ++pending;
        continue;
      }
      // Answers stay in order: what is owed goes out before the computed one.
      while (pending > 0) {
        const std::size_t k = std::min(pending, batch);
        co_await asio::async_write(s, asio::buffer(srv.hellos.data(), k * hello.size()),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        pending -= k;
      }
      std::uint64_t value = 0;
      const std::string_view digits = head.substr(compute.size());
      std::from_chars(digits.data(), digits.data() + digits.size(), value);
      const std::uint64_t primes =
          srv.cfg.inline_compute
              ? count_primes_below(value)
              : co_await asio::co_spawn(srv.pool, compute_on_pool(value), asio::use_awaitable);
      const std::string out = computed_response(value, primes);
      co_await asio::async_write(s, asio::buffer(out),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
    while (pending > 0) {
      const std::size_t k = std::min(pending, batch);
      co_await asio::async_write(s, asio::buffer(srv.hellos.data(), k * hello.size()),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      pending -= k;
    }
    std::memmove(buf.data(), buf.data() + pos, have - pos);
    have -= pos;
    if (have == buf.size()) co_return;  // a request head over 4 KiB: not ours to serve
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, server& srv) {
  for (;;) {
    asio::error_code ec;
    tcp::socket s = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;  // EMFILE, ECONNABORTED: this connection only
    asio::co_spawn(acceptor.get_executor(), session(std::move(s), srv), asio::detached);
  }
}

config parse(int argc, char** argv) {
  config c;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help") {
      std::printf("usage: asio_server [--port P] [--compute pool|inline] [--pool-threads K]\n");
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "asio_server: missing value after %s\n", argv[i]);
      std::exit(2);
    }
    const std::string_view v = argv[++i];
    unsigned long n = 0;
    const bool number =
        std::from_chars(v.data(), v.data() + v.size(), n).ptr == v.data() + v.size() && !v.empty();
    if (a == "--port" && number && n <= 65535) {
      c.port = static_cast<unsigned short>(n);
    } else if (a == "--compute" && (v == "pool" || v == "inline")) {
      c.inline_compute = v == "inline";
    } else if (a == "--pool-threads" && number && n >= 1 && n <= 1024) {
      c.pool_threads = n;
    } else {
      std::fprintf(stderr, "asio_server: bad flag %s %s\n", argv[i - 1], argv[i]);
      std::exit(2);
    }
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const config cfg = parse(argc, argv);
  try {
    asio::io_context ctx(1);  // one thread runs it: no locking inside
    server srv(cfg);
    tcp::acceptor acceptor(ctx);
    const tcp::endpoint at(asio::ip::make_address_v4("127.0.0.1"), cfg.port);
    acceptor.open(at.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(at);
    acceptor.listen(4096);
    std::printf("listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
    std::fflush(stdout);
    asio::signal_set signals(ctx, SIGINT, SIGTERM);
    signals.async_wait([&](const asio::error_code&, int) {
      acceptor.close();
      ctx.stop();
    });
    asio::co_spawn(ctx, accept_loop(acceptor, srv), asio::detached);
    ctx.run();
    srv.pool.stop();
    srv.pool.join();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asio_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
