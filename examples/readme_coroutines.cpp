// The tour of the coroutine API (one chef, many dishes), compiled and run as a test: sockets on
// an event loop, then one coroutine run twice, on the loop and under the simulator.
#include <brigade/brigade.hpp>

#include <chrono>
#include <cstdio>
#include <string>

using namespace std::chrono_literals;

brigade::task<void> echo(brigade::tcp_stream client) {  // one dish: a connection
  std::string buf;
  try {
    for (;;) {
      std::size_t line = co_await client.read_until(buf, "\n");  // waits without blocking
      co_await client.write(std::string_view(buf).substr(0, line));
      buf.erase(0, line);
    }
  } catch (const brigade::end_of_stream&) {  // the client hung up
  }
}

brigade::task<std::string> ask(brigade::event_loop& loop, brigade::endpoint server, int id) {
  auto s = co_await brigade::tcp_stream::connect(loop, server);
  co_await s.write("hello " + std::to_string(id) + "\n");
  std::string reply;
  reply.resize(co_await s.read_until(reply, "\n") - 1);
  co_return reply;
}

brigade::task<int> kitchen(brigade::runtime& rt) {
  brigade::tcp_listener listener(rt.loop(), brigade::endpoint::loopback(0));
  brigade::scope connections;  // children that cannot outlive it
  auto accept_three = [&]() -> brigade::task<void> {
    for (int i = 0; i < 3; ++i) connections.spawn(echo(co_await listener.accept()));
  };
  auto [accepted, replies] = co_await brigade::when_all(  // all three clients at once
      accept_three(), brigade::when_all(ask(rt.loop(), listener.local_endpoint(), 1),
                                        ask(rt.loop(), listener.local_endpoint(), 2),
                                        ask(rt.loop(), listener.local_endpoint(), 3)));
  (void)accepted;
  auto [a, b, c] = replies;
  std::printf("%s / %s / %s\n", a.c_str(), b.c_str(), c.c_str());

  // Heavy work goes to the team; the loop keeps serving meanwhile.
  long sum = co_await brigade::offload([] {
    long s = 0;
    for (long i = 0; i < 10'000'000; ++i) s += i % 7;
    return s;
  });

  co_await connections.join();  // the clients hung up: every echo loop has ended
  co_return static_cast<int>(sum % 1000);
}

// Timers read the clock of whatever runs them: the loop's, or the simulator's virtual time.
brigade::task<void> cook(brigade::channel<int>& orders, int& served) {
  while (auto order = co_await orders.receive()) {  // empty: closed and drained
    co_await brigade::sleep_for(*order * 10ms);     // the chef serves the others meanwhile
    ++served;
  }
}

brigade::task<std::string> dinner() {
  brigade::channel<int> orders(8, "orders");  // a name labels its waits in a trace
  int served = 0;
  brigade::scope cooks;
  cooks.spawn(cook(orders, served));
  cooks.spawn(cook(orders, served));
  for (int order : {4, 1, 2}) co_await orders.send(order);
  orders.close();
  co_await cooks.join();
  std::string log = std::to_string(served) + " dishes";
  try {  // a deadline: the sleep is cancelled through its stop token
    co_await brigade::timeout(10ms,
                              [&]() -> brigade::task<void> { co_await brigade::sleep_for(1h); }());
  } catch (const brigade::timed_out& e) {
    log += std::string(", then ") + e.what();
  }
  co_return log;
}

int main() {
  brigade::runtime rt;  // a pool (the team) and an event loop (the chef)
  std::printf("result %d on %s\n", rt.block_on(kitchen(rt)), rt.loop().backend_name());

  const std::string on_loop = rt.block_on(dinner());  // real time: about 50 ms
  std::string simulated;  // the same coroutine: one thread, a seeded order, virtual time
  auto r = brigade::sim::run(42, [&]() -> brigade::task<void> { simulated = co_await dinner(); });
  std::printf("loop: %s\nsim:  %s (%lld virtual ms)\n", on_loop.c_str(), simulated.c_str(),
              static_cast<long long>(r.virtual_time / 1ms));
  return on_loop == simulated ? 0 : 1;
}
