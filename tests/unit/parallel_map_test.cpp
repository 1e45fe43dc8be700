// brigade::parallel_map and parallel_transform: input order, automatic batching, result types
// that are awkward to store, options (grain, pool), errors.
#include <brigade/par/parallel_map.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using brigade::testing::on_pool;

class map_on_pool : public on_pool {};

TEST_P(map_on_pool, results_come_back_in_input_order) {
  std::vector<int> in(100'003);
  std::iota(in.begin(), in.end(), -50);
  const auto out =
      brigade::parallel_map(in, [](int x) { return std::to_string(x); }, {.pool = &pool()});
  ASSERT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) ASSERT_EQ(out[i], std::to_string(in[i]));
}

TEST_P(map_on_pool, tiny_functions_are_batched) {
  // Lazy splitting cuts the range only when a worker runs dry: the number of places where two
  // neighbouring elements ran on different threads stays tiny next to n.
  const std::size_t n = 1 << 20;
  std::vector<std::uint32_t> in(n);
  std::iota(in.begin(), in.end(), 0u);
  std::vector<std::thread::id> who(n);
  const auto out = brigade::parallel_map(in,
                                         [&](std::uint32_t x) {
                                           who[x] = std::this_thread::get_id();
                                           return x * 2u;
                                         },
                                         {.pool = &pool()});
  std::size_t switches = 0;
  for (std::size_t i = 1; i < n; ++i) switches += who[i] != who[i - 1] ? 1 : 0;
  EXPECT_LT(switches, n / 256) << switches << " thread switches over " << n << " elements";
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], 2 * i);
}

TEST_P(map_on_pool, works_on_spans_deques_and_awkward_results) {
  // (Not std::views::iota: clang 14 cannot compile libstdc++ 12's views.)
  std::vector<int> numbers(1000);
  std::iota(numbers.begin(), numbers.end(), 0);
  auto squares = brigade::parallel_map(std::span<const int>(numbers).subspan(10),
                                       [](int x) { return x * x; }, {.pool = &pool()});
  ASSERT_EQ(squares.size(), 990u);
  for (int i = 10; i < 1000; ++i) ASSERT_EQ(squares[static_cast<std::size_t>(i - 10)], i * i);

  std::array<int, 5> arr{1, 2, 3, 4, 5};
  auto odd =
      brigade::parallel_map(std::span(arr), [](int x) { return x % 2 == 1; }, {.pool = &pool()});
  EXPECT_EQ(odd, (std::vector<bool>{true, false, true, false, true}));

  struct no_default {
    explicit no_default(int v) : value(v) {}
    int value;
  };
  std::deque<int> dq(3000);
  std::iota(dq.begin(), dq.end(), 0);
  auto wrapped =
      brigade::parallel_map(dq, [](int x) { return no_default(x + 1); }, {.pool = &pool()});
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(wrapped[static_cast<std::size_t>(i)].value, i + 1);

  auto owned =
      brigade::parallel_map(dq, [](int x) { return std::make_unique<int>(x); }, {.pool = &pool()});
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(*owned[static_cast<std::size_t>(i)], i);

  std::vector<int> none;
  EXPECT_TRUE(brigade::parallel_map(none, [](int x) { return x; }, {.pool = &pool()}).empty());
}

TEST_P(map_on_pool, an_exception_reaches_the_caller) {
  std::vector<int> in(10'000, 1);
  in[7777] = -1;
  EXPECT_THROW(brigade::parallel_map(in,
                                     [](int x) {
                                       if (x < 0) throw std::domain_error("negative");
                                       return std::string(8, 'x');
                                     },
                                     {.pool = &pool()}),
               std::domain_error);
}

TEST_P(map_on_pool, transform_writes_through_iterators) {
  std::vector<double> in(50'000);
  std::iota(in.begin(), in.end(), 0.0);
  std::vector<double> out(in.size() + 2, -1.0);
  auto end = brigade::parallel_transform(in.begin(), in.end(), out.begin() + 1,
                                         [](double x) { return x / 2; }, {.pool = &pool()});
  EXPECT_EQ(end, out.begin() + 1 + static_cast<std::ptrdiff_t>(in.size()));
  EXPECT_EQ(out.front(), -1.0);
  EXPECT_EQ(out.back(), -1.0);
  for (std::size_t i = 0; i < in.size(); ++i) ASSERT_EQ(out[i + 1], in[i] / 2);

  // In place.
  brigade::parallel_transform(in.begin(), in.end(), in.begin(), [](double x) { return -x; },
                              {.pool = &pool()});
  for (std::size_t i = 0; i < in.size(); ++i) ASSERT_EQ(in[i], -static_cast<double>(i));
}

// Each maximal run of neighbouring elements mapped by one thread is one or more whole pieces,
// so with a grain every run but the one ending the range has at least `grain` elements.
void expect_runs_of_at_least(const std::vector<std::thread::id>& who, std::size_t grain) {
  std::size_t run = 1;
  for (std::size_t i = 1; i < who.size(); ++i) {
    if (who[i] == who[i - 1]) {
      ++run;
    } else {
      ASSERT_GE(run, grain) << "a run ending at " << i;
      run = 1;
    }
  }
}

TEST_P(map_on_pool, options_grain_and_pool) {
  const std::size_t n = 100'003;
  std::vector<std::uint32_t> in(n);
  std::iota(in.begin(), in.end(), 0u);
  for (std::size_t grain : {1, 1000, 40000}) {
    std::vector<std::thread::id> who(n);
    std::atomic<int> elsewhere{0};
    const auto out = brigade::parallel_map(in,
                                           [&](std::uint32_t x) {
                                             who[x] = std::this_thread::get_id();
                                             if (!pool().owns_current_thread()) elsewhere++;
                                             return x + 1u;
                                           },
                                           {.grain = grain, .pool = &pool()});
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], i + 1);
    expect_runs_of_at_least(who, grain);
    EXPECT_EQ(elsewhere.load(), 0) << grain;

    std::vector<std::uint64_t> dst(n);
    auto end = brigade::parallel_transform(in.begin(), in.end(), dst.begin(),
                                           [&](std::uint32_t x) {
                                             who[x] = std::this_thread::get_id();
                                             if (!pool().owns_current_thread()) elsewhere++;
                                             return std::uint64_t{x} * 3;
                                           },
                                           {.grain = grain, .pool = &pool()});
    EXPECT_EQ(end, dst.end());
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(dst[i], 3 * i);
    expect_runs_of_at_least(who, grain);
    EXPECT_EQ(elsewhere.load(), 0) << grain;
  }
}

TEST(parallel_map, runs_on_the_callers_pool_or_the_global_one) {
  std::vector<int> in(1000, 3);
  auto out = brigade::parallel_map(in, [](int x) { return x + 1; });
  EXPECT_EQ(out, std::vector<int>(1000, 4));
  brigade::pool p(2);
  const bool all_on_p = p.run([&] {
    std::atomic<bool> ok{true};
    (void)brigade::parallel_map(in, [&](int x) {
      if (!p.owns_current_thread()) ok = false;
      return x;
    });
    return ok.load();
  });
  EXPECT_TRUE(all_on_p);
  std::vector<int> dst(1000);
  brigade::parallel_transform(in.begin(), in.end(), dst.begin(), [](int x) { return 2 * x; });
  EXPECT_EQ(dst, std::vector<int>(1000, 6));
}

TEST(parallel_transform, a_reversed_range_is_invalid) {
  std::vector<int> v(10), out(10);
  try {
    brigade::parallel_transform(v.begin() + 5, v.begin() + 2, out.begin(), [](int x) { return x; });
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("3 elements before first"), std::string::npos) << e.what();
  }
}

BRIGADE_INSTANTIATE_ON_POOLS(map_on_pool);

}  // namespace
