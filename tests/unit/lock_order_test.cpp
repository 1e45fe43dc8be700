// Checked mode: the lock-order graph reports the dining philosophers' cyclic order as a
// potential deadlock (in a run that does not hang), stays quiet for the ordered version, and a
// real deadlock among threads is reported instead of hanging.
#include <brigade/core/sync_wait.hpp>
#include <brigade/core/task.hpp>
#include <brigade/sync/async_mutex.hpp>
#include <brigade/sync/check.hpp>
#include <brigade/sync/mutex.hpp>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <barrier>
#include <string>
#include <thread>
#include <vector>

namespace {

using brigade::sync::check_action;
using brigade::sync::check_options;

constexpr int seats = 5;

struct table {
  std::array<brigade::mutex, seats> forks{brigade::mutex("fork 0"), brigade::mutex("fork 1"),
                                          brigade::mutex("fork 2"), brigade::mutex("fork 3"),
                                          brigade::mutex("fork 4")};
};

class lock_order : public ::testing::Test {
 protected:
  void SetUp() override { brigade::sync::reset_lock_graph(); }
  void TearDown() override { brigade::sync::set_check_mode({}); }
};

// Philosopher i takes the fork on the left, then the one on the right: the classic cycle.
void eat_left_first(table& t, int i) {
  auto left = t.forks[static_cast<std::size_t>(i)].guard();
  auto right = t.forks[static_cast<std::size_t>((i + 1) % seats)].guard();
}

// The fix: always the lower-numbered fork first.
void eat_in_order(table& t, int i) {
  const int a = i, b = (i + 1) % seats;
  auto first = t.forks[static_cast<std::size_t>(std::min(a, b))].guard();
  auto second = t.forks[static_cast<std::size_t>(std::max(a, b))].guard();
}

TEST_F(lock_order, cyclic_order_is_a_potential_deadlock_even_without_a_hang) {
  brigade::sync::set_check_mode({.lock_order = true, .action = check_action::throw_error});
  table t;
  // One philosopher at a time: this run cannot hang, yet the order is wrong.
  for (int i = 0; i < seats - 1; ++i) eat_left_first(t, i);
  try {
    eat_left_first(t, seats - 1);
    FAIL() << "the cycle was not reported";
  } catch (const brigade::deadlock_error& e) {
    const std::string report = e.what();
    EXPECT_NE(report.find("POTENTIAL DEADLOCK"), std::string::npos) << report;
    for (int i = 0; i < seats; ++i)
      EXPECT_NE(report.find("\"fork " + std::to_string(i) + "\""), std::string::npos) << report;
    EXPECT_NE(report.find("lock_order_test.cpp"), std::string::npos) << report;
    EXPECT_NE(report.find("eat_left_first"), std::string::npos) << report;
  }
  // The closing acquisition threw before taking the fork: nothing is left held.
  for (auto& f : t.forks) {
    EXPECT_TRUE(f.try_lock());
    f.unlock();
  }
}

// async_mutex: the holder is the coroutine. Two coroutines take two locks in opposite orders,
// one after the other (no hang): the second closes the cycle.
TEST_F(lock_order, async_mutexes_taken_in_opposite_orders_by_two_coroutines) {
  brigade::sync::set_check_mode({.lock_order = true, .action = check_action::throw_error});
  brigade::async_mutex a("account a"), b("account b");
  auto transfer = [](brigade::async_mutex& from, brigade::async_mutex& to) -> brigade::task<> {
    auto g1 = co_await from.lock();
    auto g2 = co_await to.lock();
  };
  brigade::sync_wait(transfer(a, b));
  try {
    brigade::sync_wait(transfer(b, a));
    FAIL() << "the cycle was not reported";
  } catch (const brigade::deadlock_error& e) {
    const std::string report = e.what();
    EXPECT_NE(report.find("POTENTIAL DEADLOCK"), std::string::npos) << report;
    EXPECT_NE(report.find("\"account a\""), std::string::npos) << report;
    EXPECT_NE(report.find("\"account b\""), std::string::npos) << report;
    EXPECT_NE(report.find("lock_order_test.cpp"), std::string::npos) << report;
  }
  // The closing acquisition threw before taking its lock; the guard released the other.
  EXPECT_TRUE(a.try_lock());
  EXPECT_TRUE(b.try_lock());
  a.unlock();
  b.unlock();
  // Taking them in one order is clean.
  brigade::sync::reset_lock_graph();
  const auto before = brigade::sync::deadlock_reports();
  brigade::sync_wait(transfer(a, b));
  brigade::sync_wait(transfer(a, b));
  EXPECT_EQ(brigade::sync::deadlock_reports(), before);
}

TEST_F(lock_order, report_action_prints_and_continues) {
  brigade::sync::set_check_mode({.lock_order = true, .action = check_action::report});
  const std::size_t before = brigade::sync::deadlock_reports();
  table t;
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < seats; ++i) eat_left_first(t, i);
  for (int i = 0; i < seats; ++i) eat_left_first(t, i);  // reported once, not again
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("POTENTIAL DEADLOCK"), std::string::npos) << err;
  EXPECT_EQ(brigade::sync::deadlock_reports(), before + 1);
  EXPECT_NE(brigade::sync::last_deadlock_report().find("fork 4"), std::string::npos);
}

TEST_F(lock_order, ordered_philosophers_are_clean) {
  brigade::sync::set_check_mode(
      {.lock_order = true, .deadlocks = true, .action = check_action::throw_error});
  const std::size_t before = brigade::sync::deadlock_reports();
  table t;
  std::vector<std::thread> ts;
  for (int i = 0; i < seats; ++i)
    ts.emplace_back([&t, i] {
      for (int meal = 0; meal < 200; ++meal) eat_in_order(t, i);
    });
  for (auto& th : ts) th.join();
  EXPECT_EQ(brigade::sync::deadlock_reports(), before);
}

TEST_F(lock_order, real_deadlock_is_reported_not_hung) {
  // Only the wait-for check: the order check would (rightly) fire first otherwise.
  brigade::sync::set_check_mode({.deadlocks = true, .deadlock_action = check_action::throw_error});
  table t;
  std::barrier all_hold_left(seats);
  std::atomic<int> reported{0}, ate{0};
  std::string report;
  std::vector<std::thread> ts;
  for (int i = 0; i < seats; ++i)
    ts.emplace_back([&, i] {
      auto left = t.forks[static_cast<std::size_t>(i)].guard();
      all_hold_left.arrive_and_wait();  // now every philosopher holds one fork: a real deadlock
      try {
        auto right = t.forks[static_cast<std::size_t>((i + 1) % seats)].guard();
        ++ate;
      } catch (const brigade::deadlock_error& e) {
        if (reported++ == 0) report = e.what();
      }
    });
  for (auto& th : ts) th.join();
  EXPECT_EQ(reported.load(), 1);
  EXPECT_EQ(ate.load(), seats - 1);
  EXPECT_NE(report.find("DEADLOCK"), std::string::npos) << report;
  EXPECT_NE(report.find("\"fork 0\""), std::string::npos) << report;
}

// Two threads, each holding one mutex and taking the other's: a real deadlock.
void deadlock_two_threads() {
  brigade::sync::set_check_mode({.deadlocks = true});  // the default action for a real one
  brigade::mutex a("a");
  brigade::mutex b("b");
  std::barrier both_hold_one(2);
  std::thread other([&] {
    auto hold_b = b.guard();
    both_hold_one.arrive_and_wait();
    auto then_a = a.guard();
  });
  auto hold_a = a.guard();
  both_hold_one.arrive_and_wait();
  auto then_b = b.guard();  // one of the two closes the cycle: reported, then abort()
  other.join();
}

TEST(lock_order_death, a_real_deadlock_ends_the_process_by_default_instead_of_hanging) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(deadlock_two_threads(), "DEADLOCK: threads wait for each other in a cycle");
}

TEST_F(lock_order, off_by_default_and_switchable) {
  const check_options o = brigade::sync::check_mode();
  EXPECT_FALSE(o.lock_order);
  EXPECT_FALSE(o.deadlocks);
  table t;
  for (int i = 0; i < seats; ++i) eat_left_first(t, i);  // no graph: nothing reported
  brigade::sync::set_check_mode({.lock_order = true});
  EXPECT_TRUE(brigade::sync::check_mode().lock_order);
}

}  // namespace
