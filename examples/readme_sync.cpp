// The README's tour of the sync layer, compiled and run as a test: a lock-order inversion that
// did not hang this time, reported anyway; and a channel between threads.
#include <brigade/sync/channel.hpp>
#include <brigade/sync/check.hpp>
#include <brigade/sync/mutex.hpp>

#include <cstdio>
#include <thread>

int main() {
  // Checked mode, as BRIGADE_CHECK=locks would set it: report to stderr and go on.
  brigade::sync::set_check_mode({.lock_order = true, .deadlocks = true});
  brigade::mutex accounts("accounts"), audit("audit");
  {
    auto a = accounts.guard();  // one code path: accounts, then audit
    auto b = audit.guard();
  }
  std::thread([&] {
    auto b = audit.guard();  // another: audit, then accounts. It did not hang, this time.
    auto a = accounts.guard();
  }).join();
  std::printf("potential deadlocks reported: %zu\n", brigade::sync::deadlock_reports());

  brigade::channel<int> orders(4);  // bounded: a fast producer waits for room
  std::thread cook([&] {
    while (auto order = orders.blocking_receive()) std::printf("cooking order %d\n", *order);
  });
  for (int i = 1; i <= 3; ++i) orders.blocking_send(i);
  orders.close();  // the cook drains what was sent, then sees the channel closed
  cook.join();
}
