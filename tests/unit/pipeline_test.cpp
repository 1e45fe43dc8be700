// brigade::pipeline: order guarantees of serial stages, the bound on items in flight, draining
// after an exception without leaking items, coroutine stages on an event loop, reuse.
#include <brigade/core/sync_wait.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/runtime.hpp>
#include <brigade/io/timer.hpp>
#include <brigade/par/pipeline.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using brigade::stage;
using brigade::stage_mode;
using brigade::testing::on_pool;
using brigade::testing::test_seed;

class pipeline_on_pool : public on_pool {};

// Busy work of a random length: a "delay" that orders nothing, it only shuffles timing.
void spin(std::uint64_t iterations) {
  volatile std::uint64_t x = 0;
  for (std::uint64_t i = 0; i < iterations; ++i) x = x + i;
}

// Counts items in flight (source to end of sink) and remembers the most at once.
struct in_flight {
  std::atomic<int> now{0}, most{0};
  void enter() {
    const int n = ++now;
    int m = most.load();
    while (n > m && !most.compare_exchange_weak(m, n)) {
    }
  }
  void leave() { --now; }
};

TEST_P(pipeline_on_pool, serial_in_order_stages_see_the_source_order) {
  std::mt19937_64 rng(test_seed(71));
  for (int round = 0; round < 5; ++round) {
    const int n = 2000;
    std::vector<std::uint64_t> delay(n);
    for (auto& d : delay) d = rng() % 2000;
    int next = 0;
    std::vector<int> middle, sink;
    brigade::pipeline p(
        1 + rng() % 12,
        [&]() -> std::optional<int> {
          if (next == n) return std::nullopt;
          return next++;
        },
        stage(stage_mode::parallel,
              [&](int i) {
                spin(delay[static_cast<std::size_t>(i)]);
                return i;
              }),
        stage(stage_mode::serial_in_order,
              [&](int i) {
                middle.push_back(i);
                return std::to_string(i);
              }),
        stage(stage_mode::parallel,
              [&](std::string s) {
                spin(delay[static_cast<std::size_t>(std::stoi(s))] / 2);
                return std::stoi(s);
              }),
        stage(stage_mode::serial_in_order, [&](int i) { sink.push_back(i); }));
    p.run(pool());
    ASSERT_EQ(middle.size(), static_cast<std::size_t>(n));
    ASSERT_EQ(sink.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(middle[static_cast<std::size_t>(i)], i);
      ASSERT_EQ(sink[static_cast<std::size_t>(i)], i);
    }
  }
}

TEST_P(pipeline_on_pool, a_serial_out_of_order_stage_runs_one_item_at_a_time) {
  std::mt19937_64 rng(test_seed(72));
  std::vector<std::uint64_t> delay(3000);
  for (auto& d : delay) d = rng() % 3000;
  std::size_t next = 0;
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::vector<int> seen(delay.size(), 0);
  brigade::parallel_pipeline(
      pool(), 6,
      [&]() -> std::optional<std::size_t> {
        if (next == delay.size()) return std::nullopt;
        return next++;
      },
      stage(stage_mode::parallel,
            [&](std::size_t i) {
              spin(delay[i]);
              return i;
            }),
      stage(stage_mode::serial_out_of_order, [&](std::size_t i) {
        if (++inside != 1) overlapped = true;
        seen[i]++;
        spin(delay[i] / 4);
        --inside;
      }));
  EXPECT_FALSE(overlapped.load());
  for (int s : seen) ASSERT_EQ(s, 1);
}

TEST_P(pipeline_on_pool, never_more_items_in_flight_than_tokens) {
  for (std::size_t tokens : {1u, 2u, 3u, 8u}) {
    in_flight count;
    int next = 0;
    brigade::pipeline p(
        tokens,
        [&]() -> std::optional<int> {  // as fast as it can be
          if (next == 3000) return std::nullopt;
          count.enter();
          return next++;
        },
        stage(stage_mode::parallel,
              [](int i) {
                spin(static_cast<std::uint64_t>(i % 7) * 300);
                return i;
              }),
        stage(stage_mode::serial_out_of_order, [](int i) { return i; }),
        stage(stage_mode::serial_in_order, [&](int) { count.leave(); }));
    p.run(pool());
    EXPECT_LE(count.most.load(), static_cast<int>(tokens)) << tokens << " tokens";
    EXPECT_GE(count.most.load(), 1);
    EXPECT_EQ(count.now.load(), 0);
  }
}

// Items that count themselves: a leak or a double destruction shows in `live`.
struct tracked {
  static inline std::atomic<long> live{0};
  int value;
  explicit tracked(int v) : value(v) { ++live; }
  tracked(const tracked&) = delete;
  ~tracked() { --live; }
};

TEST_P(pipeline_on_pool, an_exception_drains_the_pipeline_without_leaks) {
  for (int where = 0; where < 4; ++where) {
    int next = 0;
    bool armed = true;
    std::atomic<int> sunk{0};
    auto maybe_throw = [&](int stage_no, int value) {
      if (armed && stage_no == where && value == 500) throw std::runtime_error("item 500");
    };
    brigade::pipeline p(
        5,
        [&]() -> std::optional<std::unique_ptr<tracked>> {
          if (next == 2000) return std::nullopt;
          maybe_throw(0, next);
          return std::make_unique<tracked>(next++);
        },
        stage(stage_mode::parallel,
              [&](std::unique_ptr<tracked> t) {
                maybe_throw(1, t->value);
                return t;
              }),
        stage(stage_mode::serial_in_order,
              [&](std::unique_ptr<tracked> t) {
                maybe_throw(2, t->value);
                return std::make_shared<tracked>(t->value);  // a new item, the old one freed
              }),
        stage(stage_mode::serial_in_order, [&](std::shared_ptr<tracked> t) {
          maybe_throw(3, t->value);
          sunk++;
        }));
    try {
      p.run(pool());
      FAIL() << "no exception from stage " << where;
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "item 500");
    }
    EXPECT_EQ(tracked::live.load(), 0) << "stage " << where;
    EXPECT_LE(sunk.load(), 500);
    // Runs again; the source picks up where it stopped.
    armed = false;
    p.run(pool());
    EXPECT_EQ(next, 2000);
    EXPECT_EQ(tracked::live.load(), 0);
  }
}

TEST_P(pipeline_on_pool, runs_from_a_worker_and_again) {
  long total = 0;
  int next = 0;
  brigade::pipeline p(
      4,
      [&]() -> std::optional<int> {
        if (next == 1000) return std::nullopt;
        return next++;
      },
      stage(stage_mode::parallel, [](int i) { return static_cast<long>(i) * 2; }),
      stage(stage_mode::serial_out_of_order, [&](long v) { total += v; }));
  pool().run([&] {
    p.run();
    next = 0;
    p.run();
  });
  EXPECT_EQ(total, 2 * 999 * 1000);
}

TEST_P(pipeline_on_pool, a_sink_alone_with_one_token) {
  int next = 0;
  std::vector<int> seen;
  brigade::pipeline p(
      1,
      [&]() -> std::optional<int> {
        if (next == 500) return std::nullopt;
        return next++;
      },
      stage(stage_mode::serial_in_order, [&](int i) { seen.push_back(i); }));
  EXPECT_EQ(p.tokens(), 1u);
  p.run(pool());
  ASSERT_EQ(seen.size(), 500u);
  for (int i = 0; i < 500; ++i) ASSERT_EQ(seen[static_cast<std::size_t>(i)], i);
}

TEST(pipeline, zero_tokens_is_invalid) {
  auto make = [] {
    return brigade::pipeline(
        0, []() -> std::optional<int> { return std::nullopt; },
        stage(stage_mode::parallel, [](int) {}));
  };
  EXPECT_THROW(make(), std::invalid_argument);
}

TEST(pipeline, coroutine_stages_wait_on_the_event_loop) {
  brigade::runtime rt(brigade::runtime::options{.threads = 2});
  const auto loop_thread = std::this_thread::get_id();
  int next = 0;
  std::atomic<int> sleeping{0}, most_sleeping{0};
  std::atomic<bool> off_loop{false};
  std::vector<int> order;
  brigade::pipeline p(
      8,
      [&]() -> std::optional<int> {
        if (next == 40) return std::nullopt;
        return next++;
      },
      stage(stage_mode::parallel,
            [&](int i) -> brigade::task<int> {  // waits on a timer, on the loop
              if (std::this_thread::get_id() != loop_thread) off_loop = true;
              const int now = ++sleeping;
              int m = most_sleeping.load();
              while (now > m && !most_sleeping.compare_exchange_weak(m, now)) {
              }
              co_await brigade::sleep_for(std::chrono::milliseconds(2 + i % 3));
              --sleeping;
              co_return i * 10;
            }),
      stage(stage_mode::serial_in_order, [&](int v) -> brigade::task<void> {
        co_await brigade::sleep_for(0ms);
        order.push_back(v);
      }));
  auto body = [&]() -> brigade::task<bool> {
    co_await p.run_async(rt.pool());
    co_return std::this_thread::get_id() == loop_thread;
  };
  EXPECT_TRUE(rt.block_on(body()));
  EXPECT_FALSE(off_loop.load());
  EXPECT_GE(most_sleeping.load(), 2);  // parallel: several timers pending at once
  ASSERT_EQ(order.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i * 10);

  // A coroutine stage that throws: drained and rethrown on the loop.
  next = 0;
  brigade::pipeline bad(
      3,
      [&]() -> std::optional<int> {
        if (next == 20) return std::nullopt;
        return next++;
      },
      stage(stage_mode::parallel,
            [](int i) -> brigade::task<int> {
              co_await brigade::sleep_for(1ms);
              if (i == 7) throw std::out_of_range("seven");
              co_return i;
            }),
      stage(stage_mode::serial_in_order, [](int) {}));
  auto failing = [&]() -> brigade::task<void> { co_await bad.run_async(rt.pool()); };
  EXPECT_THROW(rt.block_on(failing()), std::out_of_range);
}

TEST_P(pipeline_on_pool, coroutine_stages_without_a_loop_start_on_the_worker) {
  int next = 0;
  std::vector<int> out;
  brigade::pipeline p(
      4,
      [&]() -> std::optional<int> {
        if (next == 200) return std::nullopt;
        return next++;
      },
      stage(stage_mode::parallel,
            [&](int i) -> brigade::task<int> {
              co_await pool().schedule();  // hops to another job of the pool
              co_return i + 1;
            }),
      stage(stage_mode::serial_in_order, [&](int v) { out.push_back(v); }));
  brigade::sync_wait([&]() -> brigade::task<void> { co_await p.run_async(pool()); }());
  ASSERT_EQ(out.size(), 200u);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(out[static_cast<std::size_t>(i)], i + 1);
}

BRIGADE_INSTANTIATE_ON_POOLS(pipeline_on_pool);

}  // namespace
