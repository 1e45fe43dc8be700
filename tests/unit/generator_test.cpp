// generator<T> and stream<T>: values in order, the standard views, early break frees the frame,
// exceptions, a stream that awaits timers on an event loop and under the simulator.
#include <brigade/core/context.hpp>
#include <brigade/core/errors.hpp>
#include <brigade/core/generator.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/timer.hpp>
#include <brigade/par/pipeline.hpp>
#include <brigade/sim/sim.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <memory>
#include <ranges>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

static_assert(std::ranges::input_range<brigade::generator<int>>);
static_assert(std::ranges::view<brigade::generator<int>>);
static_assert(std::same_as<std::ranges::range_reference_t<brigade::generator<int>>, int&>);
static_assert(std::same_as<std::ranges::range_reference_t<brigade::generator<const std::string&>>,
                           const std::string&>);

brigade::generator<int> count_to(int n) {
  for (int i = 0; i < n; ++i) co_yield i;
}

[[maybe_unused]] brigade::generator<int> naturals() {  // used where views compile
  for (int i = 0;; ++i) co_yield i;
}

TEST(generator, yields_values_in_order) {
  std::vector<int> got;
  for (int v : count_to(5)) got.push_back(v);
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(generator, an_empty_body_is_an_empty_range) {
  auto g = count_to(0);
  EXPECT_TRUE(g.begin() == g.end());
}

TEST(generator, works_with_the_standard_range_algorithms) {
  std::vector<int> got;
  std::ranges::copy(count_to(4), std::back_inserter(got));
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3}));
}

// clang 14 cannot compile libstdc++ 12's views at all (for a std::vector too), so the sanitizer
// builds, which use it, leave this case out.
#if !defined(__clang__) || __clang_major__ >= 15
TEST(generator, works_with_the_standard_views) {
  std::vector<int> got;
  for (int v : naturals() | std::views::filter([](int i) { return i % 2 == 1; }) |
                   std::views::transform([](int i) { return i * i; }) | std::views::take(4))
    got.push_back(v);
  EXPECT_EQ(got, (std::vector<int>{1, 9, 25, 49}));
}
#endif

brigade::generator<const std::string&> words() {
  const std::string a = "oil";
  std::string b = "salt";
  co_yield a;
  co_yield b;
  co_yield std::string("pepper");  // a temporary, alive while the body is suspended
}

TEST(generator, yields_references_without_copies) {
  std::vector<std::string> got;
  for (const std::string& w : words()) got.push_back(w);
  EXPECT_EQ(got, (std::vector<std::string>{"oil", "salt", "pepper"}));
}

brigade::generator<std::string> copies_a_const_lvalue() {
  const std::string s = "thyme";
  co_yield s;
}

TEST(generator, a_const_lvalue_is_copied_into_a_generator_of_values) {
  auto g = copies_a_const_lvalue();
  auto it = g.begin();
  std::string moved = std::move(*it);  // the copy, not the body's const local
  EXPECT_EQ(moved, "thyme");
}

struct counted {
  static inline int alive = 0;
  static inline int made = 0;
  counted() {
    ++alive;
    ++made;
  }
  counted(const counted&) = delete;
  ~counted() { --alive; }
};

brigade::generator<int> holds_a_counted() {
  counted c;
  for (int i = 0;; ++i) co_yield i;
}

TEST(generator, an_early_break_destroys_the_frame) {
  counted::alive = counted::made = 0;
  {
    int last = -1;
    for (int v : holds_a_counted()) {
      last = v;
      EXPECT_EQ(counted::alive, 1);
      if (v == 3) break;
    }
    EXPECT_EQ(last, 3);
  }
  EXPECT_EQ(counted::made, 1);
  EXPECT_EQ(counted::alive, 0);

  { auto never_started = holds_a_counted(); }  // the body never ran: nothing was constructed
  EXPECT_EQ(counted::made, 1);
}

brigade::generator<int> throws_after(int n) {
  for (int i = 0; i < n; ++i) co_yield i;
  throw std::runtime_error("burnt");
}

TEST(generator, an_exception_is_rethrown_by_the_increment_that_hits_it) {
  auto g = throws_after(2);
  auto it = g.begin();
  EXPECT_EQ(*it, 0);
  ++it;
  EXPECT_EQ(*it, 1);
  EXPECT_THROW(++it, std::runtime_error);
  EXPECT_TRUE(it == g.end());

  auto at_once = throws_after(0);
  EXPECT_THROW((void)at_once.begin(), std::runtime_error);
  EXPECT_THROW((void)at_once.begin(), std::logic_error);  // consumed once
}

TEST(generator, is_a_pipeline_source) {
  std::vector<int> got;
  brigade::pool pool(2);
  brigade::pipeline p(
      4, brigade::as_source(count_to(6)),
      brigade::stage(brigade::stage_mode::parallel, [](int i) { return i * 10; }),
      brigade::stage(brigade::stage_mode::serial_in_order, [&](int i) { got.push_back(i); }));
  p.run(pool);
  EXPECT_EQ(got, (std::vector<int>{0, 10, 20, 30, 40, 50}));
}

brigade::stream<int> ticks(int n, std::chrono::milliseconds every) {
  for (int i = 0; i < n; ++i) {
    co_await brigade::sleep_for(every);
    co_yield i;
  }
}

TEST(stream, awaits_a_timer_between_values_on_an_event_loop) {
  brigade::event_loop loop;
  auto body = [&]() -> brigade::task<std::vector<int>> {
    std::vector<int> got;
    const auto start = std::chrono::steady_clock::now();
    auto s = ticks(3, 5ms);
    while (auto v = co_await s.next()) {
      EXPECT_TRUE(loop.on_loop_thread());
      got.push_back(*v);
    }
    EXPECT_GE(std::chrono::steady_clock::now() - start, 15ms);
    EXPECT_FALSE(co_await s.next());  // the end stays the end
    co_return got;
  };
  EXPECT_EQ(loop.run_until(body()), (std::vector<int>{0, 1, 2}));
}

brigade::stream<std::unique_ptr<int>> throws_in_a_stream() {
  co_yield std::make_unique<int>(1);
  co_await brigade::sleep_for(1ms);
  throw std::runtime_error("spilled");
}

TEST(stream, an_exception_is_rethrown_by_next_once) {
  brigade::event_loop loop;
  auto body = []() -> brigade::task<int> {
    auto s = throws_in_a_stream();
    auto first = co_await s.next();
    EXPECT_EQ(**first, 1);  // move-only values are moved out
    EXPECT_THROW(co_await s.next(), std::runtime_error);
    EXPECT_FALSE(co_await s.next());
    co_return 0;
  };
  EXPECT_EQ(loop.run_until(body()), 0);
}

brigade::stream<int> holds_a_counted_stream() {
  counted c;
  for (int i = 0;; ++i) {
    co_await brigade::sleep_for(1ms);
    co_yield i;
  }
}

TEST(stream, destroying_it_between_items_frees_the_frame) {
  counted::alive = counted::made = 0;
  brigade::event_loop loop;
  auto body = []() -> brigade::task<int> {
    auto s = holds_a_counted_stream();
    int last = -1;
    while (auto v = co_await s.next()) {
      last = *v;
      if (last == 2) break;
    }
    co_return last;
  };
  EXPECT_EQ(loop.run_until(body()), 2);
  EXPECT_EQ(counted::made, 1);
  EXPECT_EQ(counted::alive, 0);
}

TEST(stream, a_stop_request_reaches_the_body_through_the_consumer) {
  brigade::event_loop loop;
  std::stop_source stop;
  auto body = [&]() -> brigade::task<bool> {
    auto s = ticks(1000, 1h);
    stop.request_stop();  // before the body's sleep: it is cancelled at once
    try {
      (void)co_await s.next();
    } catch (const brigade::operation_cancelled&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(loop.run_until(brigade::with_stop_token(body(), stop.get_token())));
}

TEST(stream, runs_under_the_simulator_in_virtual_time) {
  std::vector<int> got;
  const auto real_start = std::chrono::steady_clock::now();
  brigade::sim::run(7, [&]() -> brigade::task<> {
    const auto start = brigade::now();
    auto s = ticks(4, std::chrono::milliseconds(1h));
    while (auto v = co_await s.next()) got.push_back(*v);
    EXPECT_GE(brigade::now() - start, 4h);
  });
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_LT(std::chrono::steady_clock::now() - real_start, 10s);
}

}  // namespace
