// "All chefs are asleep": two plain threads that take two brigade::mutex in opposite orders
// (checked mode off) deadlock; the watchdog reports it and aborts instead of hanging.
#include <brigade/sync/mutex.hpp>

#include "support/sanitizers.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <optional>
#include <string>
#include <thread>

namespace {

#ifndef BRIGADE_TSAN
[[noreturn]] void deadlock_two_threads() {
  brigade::mutex a("left fork"), b("right fork");
  std::latch both_hold_one(2);
  std::thread t1([&] {
    auto g = a.guard();
    both_hold_one.arrive_and_wait();
    auto g2 = b.guard();
  });
  std::thread t2([&] {
    auto g = b.guard();
    both_hold_one.arrive_and_wait();
    auto g2 = a.guard();
  });
  t1.join();  // never returns: main sleeps in join, the two threads wait for each other
  t2.join();
  std::exit(0);
}
#endif

TEST(deadlock_watch_death, two_threads_in_opposite_lock_order_abort_with_a_report) {
#ifdef BRIGADE_TSAN
  GTEST_SKIP() << "TSan's own background thread sleeps with a timeout: the watchdog (rightly) "
                  "cannot conclude";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ::setenv("BRIGADE_DEADLOCK_GRACE_MS", "300", 1);
  EXPECT_DEATH(deadlock_two_threads(),
               "brigade: all chefs are asleep .* deadlock(.|\n)*brigade::mutex \"(left|right) "
               "fork\"");
#endif
}

TEST(deadlock_watch, a_long_wait_on_a_thread_that_computes_is_not_reported) {
  // Longer than the default grace period, while the holder keeps running.
  brigade::mutex m("busy");
  m.lock();
  std::thread t([&] { auto g = m.guard(); });
  // The main thread runs (not in a futex wait) for longer than the grace period.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  std::atomic<unsigned long> spins{0};
  while (std::chrono::steady_clock::now() < until) spins.fetch_add(1, std::memory_order_relaxed);
  m.unlock();
  t.join();
}

// The signal mask (SigBlk) of this process's thread named `name`, once one exists.
std::optional<unsigned long long> blocked_signals_of(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string comm;
    std::getline(std::ifstream(task.path() / "comm"), comm);
    if (comm != name) continue;
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("SigBlk:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  }
  return std::nullopt;
}

TEST(deadlock_watch, the_watchdog_thread_takes_no_asynchronous_signal) {
  // A thread that waits for a held mutex starts the watchdog. A SIGINT or SIGTERM that the
  // kernel delivered to it would end the process even with a signal_set waiting for it.
  brigade::mutex m("held");
  m.lock();
  std::thread t([&] { auto g = m.guard(); });
  std::optional<unsigned long long> mask;
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(mask = blocked_signals_of("brigade watch")) && std::chrono::steady_clock::now() < limit)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling /proc, not ordering
  m.unlock();
  t.join();
  ASSERT_TRUE(mask.has_value()) << "no watchdog thread started";
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGUSR1})
    EXPECT_NE(*mask & (1ULL << (sig - 1)), 0U) << "signal " << sig << " not blocked";
  for (const int sig : {SIGSEGV, SIGBUS, SIGFPE})
    EXPECT_EQ(*mask & (1ULL << (sig - 1)), 0U) << "fault " << sig << " blocked";
}

}  // namespace
