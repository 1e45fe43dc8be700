// Resolves localhost and connects to a listener by name through the installed brigade::dns.
#include <brigade/dns/connect.hpp>
#include <brigade/dns/resolve.hpp>
#include <brigade/io/tcp.hpp>

#include <cstdio>
#include <string>

brigade::task<int> run(brigade::event_loop& loop) {
  brigade::tcp_listener listener(loop, brigade::endpoint::loopback(0));
  const std::string port = std::to_string(listener.local_endpoint().port());
  const auto addresses = co_await brigade::resolve(loop, "localhost", port);
  brigade::tcp_stream s = co_await brigade::connect(loop, "localhost:" + port);
  std::printf("dns consumer ok: %zu address(es), connected to %s\n", addresses.size(),
              s.remote_endpoint().to_string().c_str());
  co_return 0;
}

int main() {
  brigade::event_loop loop;
  return loop.run_until(run(loop));
}
