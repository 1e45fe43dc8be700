// when_all, when_any and scope on every executor flavour (inline, loop, pool(1), pool(4),
// sim): children that suspend and resume there, finishing in any order — concurrently on
// different workers in pool(4) — and failures and cancellation that cross them.
#include <brigade/core/errors.hpp>
#include <brigade/core/scope.hpp>
#include <brigade/core/when_all.hpp>

#include "support/executors.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <tuple>
#include <vector>

namespace {

using brigade::task;
using brigade::testing::on_executor;

class core_on : public on_executor {
 protected:
  // Returns v after hopping `hops` times.
  task<int> value_after(int v, int hops) {
    for (int i = 0; i < hops; ++i) co_await hop();
    co_return v;
  }
  // Hops until its stop token is requested, then ends as cancelled.
  task<int> until_stopped() {
    const std::stop_token token = co_await brigade::this_task::stop_token;
    while (!token.stop_requested()) co_await hop();
    throw brigade::operation_cancelled("stopped");
  }
  task<int> fails_after(int hops) {
    for (int i = 0; i < hops; ++i) co_await hop();
    throw std::runtime_error("child failed");
  }
};

// The behaviours where a child waits until a sibling stops it: not on the inline flavour,
// where nothing else runs while a child waits (it would wait forever).
class core_interleaved_on : public core_on {};

TEST_P(core_on, when_all_gives_every_result_in_order) {
  auto body = [&]() -> task<int> {
    auto [a, b, c] =
        co_await brigade::when_all(value_after(1, 5), value_after(2, 0), value_after(3, 2));
    std::vector<task<int>> many;
    for (int i = 0; i < 50; ++i) many.push_back(value_after(i, i % 7));
    const std::vector<int> all = co_await brigade::when_all(std::move(many));
    int in_order = 0;
    for (int i = 0; i < 50; ++i) in_order += all[static_cast<std::size_t>(i)] == i ? 1 : 0;
    co_return a * 100 + b * 10 + c + in_order * 1000;
  };
  EXPECT_EQ(run(body()), 50123);
}

TEST_P(core_interleaved_on, when_all_rethrows_the_failure_after_stopping_the_others) {
  auto body = [&]() -> task<std::string> {
    try {
      co_await brigade::when_all(until_stopped(), fails_after(3), until_stopped());
    } catch (const std::runtime_error& e) {
      co_return e.what();  // the siblings were stopped, or this would never return
    }
    co_return "no failure";
  };
  EXPECT_EQ(run(body()), "child failed");
}

TEST_P(core_interleaved_on, when_any_gives_the_first_and_stops_the_rest) {
  auto body = [&]() -> task<int> {
    auto first = co_await brigade::when_any(until_stopped(), value_after(7, 4), until_stopped());
    std::vector<task<int>> racers;
    racers.push_back(until_stopped());
    racers.push_back(value_after(9, 2));
    auto [index, value] = co_await brigade::when_any(std::move(racers));
    co_return static_cast<int>(first.index()) * 1000 + std::get<1>(first) * 100 +
        static_cast<int>(index) * 10 + value;
  };
  EXPECT_EQ(run(body()), 1719);
}

TEST_P(core_on, scope_joins_children_that_finish_concurrently) {
  std::atomic<int> sum{0};
  auto add = [&](int v, int hops) -> task<void> { sum += co_await value_after(v, hops); };
  auto body = [&]() -> task<int> {
    brigade::scope s;
    for (int i = 1; i <= 100; ++i) s.spawn(add(i, i % 5));
    co_await s.join();
    co_return sum.load();
  };
  EXPECT_EQ(run(body()), 5050);
}

TEST_P(core_interleaved_on, scope_failure_stops_the_siblings_and_reaches_join) {
  auto ignore = [&](task<int> t) -> task<void> { (void)co_await std::move(t); };
  auto body = [&]() -> task<std::string> {
    brigade::scope s;
    for (int i = 0; i < 3; ++i) s.spawn(ignore(until_stopped()));
    s.spawn(ignore(fails_after(2)));
    try {
      co_await s.join();
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no failure";
  };
  EXPECT_EQ(run(body()), "child failed");
}

TEST_P(core_on, a_scope_inside_when_all_inside_a_scope) {
  std::atomic<int> done{0};
  auto leaf = [&](int hops) -> task<void> {
    (void)co_await value_after(0, hops);
    ++done;
  };
  auto branch = [&](int width) -> task<int> {
    brigade::scope s;
    for (int i = 0; i < width; ++i) s.spawn(leaf(i));
    co_await s.join();
    co_return width;
  };
  auto body = [&]() -> task<int> {
    auto [a, b] = co_await brigade::when_all(branch(3), branch(5));
    brigade::scope outer;
    outer.spawn([&]() -> task<void> { (void)co_await branch(4); }());
    co_await outer.join();
    co_return a + b;
  };
  EXPECT_EQ(run(body()), 8);
  EXPECT_EQ(done.load(), 12);
}

BRIGADE_INSTANTIATE_ON_EXECUTORS(core_on);
INSTANTIATE_TEST_SUITE_P(executors, core_interleaved_on,
                         ::testing::ValuesIn(brigade::testing::interleaving_executors()),
                         brigade::testing::executor_name);

}  // namespace
