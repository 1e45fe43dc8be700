// brigade::submit, future and as_completed: values, exceptions, waiting, completion order.
#include <brigade/core/sync_wait.hpp>
#include <brigade/pool/future.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

TEST(future, get_returns_the_value_and_rethrows) {
  brigade::pool p(2);
  auto f = brigade::submit(p, [] { return 6 * 7; });
  EXPECT_EQ(f.get(), 42);
  auto g = brigade::submit(p, []() -> int { throw std::domain_error("no"); });
  EXPECT_THROW(g.get(), std::domain_error);
  auto v = brigade::submit(p, [] {});
  v.get();
}

TEST(future, wait_for_reports_timeout_then_ready) {
  brigade::pool p(1);
  std::atomic<bool> release{false};
  auto f = brigade::submit(p, [&] {
    while (!release.load()) std::this_thread::yield();
    return 1;
  });
  EXPECT_EQ(f.wait_for(1ms), std::future_status::timeout);
  EXPECT_FALSE(f.ready());
  release = true;
  EXPECT_EQ(f.wait_for(60s), std::future_status::ready);
  EXPECT_EQ(f.get(), 1);
}

TEST(future, empty_future_is_a_logic_error) {
  brigade::future<int> f;
  EXPECT_FALSE(f.valid());
  EXPECT_THROW(f.get(), std::logic_error);
}

TEST(future, co_await_from_a_coroutine) {
  brigade::pool p(2);
  auto body = [&]() -> brigade::task<int> {
    auto f = brigade::submit(p, [] { return 5; });
    co_return co_await f + 1;
  };
  EXPECT_EQ(brigade::sync_wait(body()), 6);
}

TEST(future, as_completed_visits_each_once_in_completion_order) {
  // Each function waits at its own gate; the loop opens them one at a time in reverse order,
  // each only after as_completed handed over the previous one. Every function spins on a
  // worker of its own.
  const int n = 6;
  brigade::pool p(n);
  std::vector<std::atomic<bool>> gate(n);
  std::vector<brigade::future<int>> fs;
  for (int i = 0; i < n; ++i)
    fs.push_back(brigade::submit(p, [&, i] {
      while (!gate[static_cast<std::size_t>(i)].load()) std::this_thread::yield();
      return i;
    }));
  int expected = n - 1;
  gate[static_cast<std::size_t>(expected)] = true;
  int visited = 0;
  for (auto& f : brigade::as_completed(fs)) {
    EXPECT_EQ(f.get(), expected);
    ++visited;
    if (expected > 0) gate[static_cast<std::size_t>(--expected)] = true;
  }
  EXPECT_EQ(visited, n);
}

TEST(pool, schedule_moves_a_coroutine_onto_the_pool) {
  brigade::pool p(2);
  auto body = [&]() -> brigade::task<bool> {
    co_await p.schedule();
    co_return p.owns_current_thread();
  };
  EXPECT_TRUE(brigade::sync_wait(body()));
}

}  // namespace
