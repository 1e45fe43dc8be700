// The event loop itself: run_until, post and schedule from other threads, timers (order,
// never early, cancellation, many at once), timeout, backend selection, destruction.
#include <brigade/core/scope.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/core/when_all.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/timeout.hpp>
#include <brigade/io/timer.hpp>

#include "support/backends.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using brigade::testing::on_loop;
using clock_type = std::chrono::steady_clock;

class loop_basics : public on_loop {};

TEST_P(loop_basics, run_until_returns_the_value_and_rethrows) {
  auto ok = []() -> brigade::task<int> { co_return 7; };
  auto bad = []() -> brigade::task<int> {
    throw std::runtime_error("bad");
    co_return 0;
  };
  EXPECT_EQ(loop().run_until(ok()), 7);
  EXPECT_THROW(loop().run_until(bad()), std::runtime_error);
  EXPECT_EQ(loop().run_until(ok()), 7);  // reusable
}

TEST_P(loop_basics, post_from_other_threads_runs_on_the_loop_thread) {
  std::atomic<int> count{0};
  std::thread::id loop_thread;
  auto body = [&]() -> brigade::task<int> {
    loop_thread = std::this_thread::get_id();
    std::vector<std::thread> ts;
    std::atomic<int> wrong_thread{0};
    for (int t = 0; t < 4; ++t)
      ts.emplace_back([&] {
        for (int i = 0; i < 250; ++i)
          loop().post([&] {
            if (std::this_thread::get_id() != loop_thread) wrong_thread++;
            count++;
          });
      });
    for (auto& t : ts) t.join();
    while (count.load() < 1000) co_await loop().schedule();
    co_return wrong_thread.load();
  };
  EXPECT_EQ(loop().run_until(body()), 0);
  EXPECT_EQ(count.load(), 1000);
}

TEST_P(loop_basics, schedule_moves_a_coroutine_onto_the_loop) {
  // The loop runs on a thread of its own; a coroutine started on this thread hops onto it.
  std::thread runner;
  std::atomic<bool> started{false};
  runner = std::thread([&] {
    started = true;
    loop().run();
  });
  while (!started.load()) std::this_thread::yield();
  auto hop = [&]() -> brigade::task<std::thread::id> {
    co_await loop().schedule();
    co_return std::this_thread::get_id();
  };
  const auto where = brigade::sync_wait(hop());
  EXPECT_EQ(where, runner.get_id());
  loop().stop();
  runner.join();
}

TEST_P(loop_basics, timers_fire_in_deadline_order_and_never_early) {
  std::vector<int> order;
  bool early = false;
  auto sleeper = [&](int ms) -> brigade::task<void> {
    const auto start = clock_type::now();
    co_await brigade::sleep_for(std::chrono::milliseconds(ms));
    if (clock_type::now() - start < std::chrono::milliseconds(ms)) early = true;
    order.push_back(ms);
  };
  auto body = [&]() -> brigade::task<void> {
    co_await brigade::when_all(sleeper(30), sleeper(10), sleeper(20), sleeper(0), sleeper(5));
  };
  loop().run_until(body());
  EXPECT_EQ(order, (std::vector<int>{0, 5, 10, 20, 30}));
  EXPECT_FALSE(early);
}

TEST_P(loop_basics, equal_deadlines_fire_in_submission_order) {
  std::vector<int> order;
  auto body = [&]() -> brigade::task<void> {
    const auto at = clock_type::now() + 5ms;
    brigade::scope s;
    for (int i = 0; i < 50; ++i)
      s.spawn([](int k, std::vector<int>& o, clock_type::time_point t) -> brigade::task<void> {
        co_await brigade::sleep_until(t);
        o.push_back(k);
      }(i, order, at));
    co_await s.join();
  };
  loop().run_until(body());
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST_P(loop_basics, many_timers_in_random_order_fire_sorted) {
  const int n = 20000;
  std::vector<std::int64_t> fired;
  fired.reserve(n);
  auto body = [&]() -> brigade::task<void> {
    std::mt19937 gen(5);
    const auto base = clock_type::now();
    brigade::scope s;
    for (int i = 0; i < n; ++i) {
      const auto at = base + std::chrono::microseconds(gen() % 50000);
      s.spawn([](clock_type::time_point t, std::vector<std::int64_t>& f) -> brigade::task<void> {
        co_await brigade::sleep_until(t);
        f.push_back(t.time_since_epoch().count());
      }(at, fired));
    }
    co_await s.join();
  };
  loop().run_until(body());
  ASSERT_EQ(fired.size(), static_cast<std::size_t>(n));
  EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
}

TEST_P(loop_basics, stop_request_cancels_a_sleep) {
  std::stop_source src;
  auto sleeper = [&]() -> brigade::task<bool> {
    try {
      co_await brigade::sleep_for(1h);
    } catch (const brigade::operation_cancelled&) {
      co_return true;
    }
    co_return false;
  };
  auto body = [&]() -> brigade::task<bool> {
    brigade::scope s(src.get_token());
    bool cancelled = false;
    s.spawn([](brigade::task<bool> t, bool& out) -> brigade::task<void> {
      out = co_await std::move(t);
    }(sleeper(), cancelled));
    co_await brigade::sleep_for(5ms);
    std::thread([&] { src.request_stop(); }).join();  // from another thread
    co_await s.join();
    co_return cancelled;
  };
  EXPECT_TRUE(loop().run_until(body()));
}

TEST_P(loop_basics, sleeps_started_on_other_threads_end_once_whether_cancelled_or_not) {
  // Each sleep is submitted from a thread that is not the loop's (the op is handed over through
  // the loop's queue) and half of them are cancelled from a third thread at a random moment:
  // before the hand-over is run, while the timer waits, or after it fired. Every sleep must end
  // exactly once, as fired or as cancelled, and the loop must stay usable.
  std::atomic<bool> running{false};
  loop().post([&] { running = true; });
  std::thread runner([&] { loop().run(); });
  while (!running.load()) std::this_thread::yield();
  constexpr int threads = 3;
  constexpr int per_thread = 100;
  std::atomic<int> fired{0};
  std::atomic<int> cancelled{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < threads; ++t)
    submitters.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) + 1);
      for (int i = 0; i < per_thread; ++i) {
        const auto nap = std::chrono::microseconds(rng() % 200);
        const unsigned spin = rng() % (i % 4 == 1 ? 2'000 : 100'000);  // early or late
        auto sleeper = [&]() -> brigade::task<void> {
          try {
            co_await brigade::sleep_for(loop(), nap);
            fired.fetch_add(1);
          } catch (const brigade::operation_cancelled&) {
            cancelled.fetch_add(1);
          }
        };
        std::stop_source src;
        std::thread canceller;
        if (i % 2 == 1)
          canceller = std::thread([&src, spin] {
            std::atomic<unsigned> k{0};  // a busy wait of a random length
            while (k.fetch_add(1, std::memory_order_relaxed) < spin) {
            }
            src.request_stop();
          });
        brigade::sync_wait(brigade::with_stop_token(sleeper(), src.get_token()));
        if (canceller.joinable()) canceller.join();
      }
    });
  for (std::thread& s : submitters) s.join();
  EXPECT_EQ(fired.load() + cancelled.load(), threads * per_thread);
  EXPECT_GE(fired.load(), threads * per_thread / 2);  // the ones nobody cancelled
  auto after = [&]() -> brigade::task<int> {
    co_await brigade::sleep_for(loop(), 1ms);
    co_return 3;
  };
  EXPECT_EQ(brigade::sync_wait(after()), 3);
  loop().stop();
  runner.join();
}

TEST_P(loop_basics, timeout_throws_timed_out_or_passes_the_value) {
  auto slow = []() -> brigade::task<int> {
    co_await brigade::sleep_for(1h);
    co_return 1;
  };
  auto fast = []() -> brigade::task<int> {
    co_await brigade::sleep_for(1ms);
    co_return 2;
  };
  auto body = [&]() -> brigade::task<int> {
    try {
      co_await brigade::timeout(10ms, slow());
      co_return -1;
    } catch (const brigade::timed_out&) {
    }
    co_return co_await brigade::timeout(10s, fast());
  };
  EXPECT_EQ(loop().run_until(body()), 2);
}

TEST_P(loop_basics, destroying_the_loop_cancels_pending_operations) {
  bool cancelled = false;
  brigade::scope s;  // outlives the loop: the loop's destruction ends its child
  {
    brigade::event_loop local(brigade::event_loop::options{GetParam()});
    auto sleeper = [&]() -> brigade::task<void> {
      try {
        co_await brigade::sleep_for(1h);
      } catch (const brigade::operation_cancelled&) {
        cancelled = true;
      }
    };
    auto body = [&]() -> brigade::task<void> {
      s.spawn(sleeper());
      co_return;  // leave it sleeping
    };
    local.run_until(body());
    EXPECT_EQ(s.active(), 1u);
    // ~event_loop cancels the sleep; the child ends, so the scope can be destroyed after.
  }
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(s.active(), 0u);
}

TEST_P(loop_basics, a_second_runner_is_a_logic_error) {
  auto ok = []() -> brigade::task<int> { co_return 1; };
  std::atomic<bool> running{false};
  loop().post([&] { running = true; });  // runs once the loop has been claimed by `runner`
  std::thread runner([&] { loop().run(); });
  while (!running.load()) std::this_thread::yield();
  EXPECT_THROW(loop().run(), std::logic_error);
  EXPECT_THROW(loop().run_until(ok()), std::logic_error);
  loop().stop();
  runner.join();
  auto nested = [&]() -> brigade::task<bool> {  // from inside the loop itself
    try {
      loop().run();
    } catch (const std::logic_error&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(loop().run_until(nested()));
  EXPECT_EQ(loop().run_until(ok()), 1);  // refused runs leave the loop as it was
}

BRIGADE_INSTANTIATE_ON_BACKENDS(loop_basics);

TEST(event_loop, invalid_brigade_io_is_an_error_naming_it) {
  ASSERT_EQ(setenv("BRIGADE_IO", "kqueue", 1), 0);
  try {
    brigade::event_loop l;
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("kqueue"), std::string::npos) << e.what();
  }
  unsetenv("BRIGADE_IO");
}

TEST(event_loop, sleep_outside_a_loop_is_a_logic_error) {
  EXPECT_THROW((void)brigade::sleep_for(1ms), std::logic_error);
}

}  // namespace
