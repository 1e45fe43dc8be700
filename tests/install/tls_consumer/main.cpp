// A TLS client, through the installed brigade::tls, refuses a server that answers in plain text.
#include <brigade/core/when_all.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/tls/tls_stream.hpp>

#include <cstdio>
#include <string>

int main() {
  brigade::event_loop loop;
  brigade::tcp_listener listener(loop, brigade::endpoint::loopback(0));
  const brigade::tls_context ctx = brigade::tls_context::client({.alpn = {"http/1.1"}});
  auto plain_server = [&]() -> brigade::task<void> {
    brigade::tcp_stream s = co_await listener.accept();
    co_await s.write(std::string_view("HTTP/1.1 400 Bad Request\r\n\r\n"));
  };
  auto client = [&]() -> brigade::task<std::string> {
    try {
      (void)co_await brigade::tls_stream::connect(ctx, loop, listener.local_endpoint(),
                                                  "localhost");
    } catch (const brigade::tls_error& e) {
      co_return e.what();
    }
    co_return "";
  };
  auto both = [&]() -> brigade::task<std::string> {
    auto [served, error] = co_await brigade::when_all(plain_server(), client());
    (void)served;
    co_return error;
  };
  const std::string error = loop.run_until(both());
  std::printf("tls consumer ok: %s\n", error.c_str());
  return error.empty() ? 1 : 0;
}
