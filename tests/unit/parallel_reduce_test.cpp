// brigade::parallel_reduce: equal to the serial fold on random inputs, order of combine,
// iterator and range forms, options, integral index types (negative, mixed, extreme), errors.
#include <brigade/par/parallel_reduce.hpp>

#include "support/error_text.hpp"
#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using brigade::testing::on_pool;

const std::vector<std::size_t> sizes = {0, 1, 2, 3, 7, 13, 97, 1009, 10007, 100003, 1 << 20};

std::vector<std::int64_t> random_values(std::size_t n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<std::int64_t> dist(-1'000'000, 1'000'000);
  std::vector<std::int64_t> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

using brigade::testing::error_of;

// Which spellings compile: a positional grain or a pool first no longer does.
template <class... Args>
concept parallel_reduce_accepts = requires(Args&&... args) {
  brigade::parallel_reduce(std::forward<Args>(args)...);
};
using chunk_fn = int (*)(std::size_t, std::size_t, int);
using plus_fn = int (*)(int, int);
using int_iterator = std::vector<int>::iterator;
static_assert(parallel_reduce_accepts<int, std::size_t, int, chunk_fn, plus_fn>);
static_assert(parallel_reduce_accepts<int, int, int, chunk_fn, plus_fn, brigade::par_options>);
static_assert(parallel_reduce_accepts<int_iterator, int_iterator, int, plus_fn>);
static_assert(parallel_reduce_accepts<std::vector<int>&, int, plus_fn, brigade::par_options>);
static_assert(!parallel_reduce_accepts<int, int, std::size_t, int, chunk_fn, plus_fn>);
static_assert(!parallel_reduce_accepts<brigade::pool&, int, int, int, chunk_fn, plus_fn>);
static_assert(!parallel_reduce_accepts<brigade::pool&, int_iterator, int_iterator, int, plus_fn>);

class reduce_on_pool : public on_pool {};

TEST_P(reduce_on_pool, equals_the_serial_sum) {
  for (std::size_t n : sizes) {
    const auto v = random_values(n, static_cast<unsigned>(n) + 17);
    const auto sum = brigade::parallel_reduce(
        0, n, std::int64_t{0},
        [&](std::size_t b, std::size_t e, std::int64_t acc) {
          for (std::size_t i = b; i < e; ++i) acc += v[i];
          return acc;
        },
        [](std::int64_t x, std::int64_t y) { return x + y; }, {.pool = &pool()});
    EXPECT_EQ(sum, std::accumulate(v.begin(), v.end(), std::int64_t{0})) << n;
  }
}

TEST_P(reduce_on_pool, combine_keeps_index_order) {
  // Reduce to the covered interval [lo, hi): combining out of order or with a gap would fail.
  using interval = std::pair<std::size_t, std::size_t>;
  const interval empty{SIZE_MAX, SIZE_MAX};
  auto join_intervals = [&](interval a, interval b) -> interval {
    if (a == empty) return b;
    if (b == empty) return a;
    if (a.second != b.first) throw std::logic_error("out of order");
    return {a.first, b.second};
  };
  for (std::size_t n : sizes) {
    if (n == 0) continue;
    const interval r = brigade::parallel_reduce(0, n, empty,
                                                [&](std::size_t b, std::size_t e, interval acc) {
                                                  return join_intervals(acc, {b, e});
                                                },
                                                join_intervals, {.pool = &pool()});
    EXPECT_EQ(r, (interval{0, n})) << n;
  }
}

TEST_P(reduce_on_pool, string_concatenation_is_ordered) {
  const std::string s = pool().run([] {
    return brigade::parallel_reduce(
        std::size_t{0}, std::size_t{2000}, std::string(),
        [](std::size_t b, std::size_t e, std::string acc) {
          for (std::size_t i = b; i < e; ++i) acc += static_cast<char>('a' + i % 26);
          return acc;
        },
        [](std::string a, const std::string& b) { return a + b; });
  });
  ASSERT_EQ(s.size(), 2000u);
  for (std::size_t i = 0; i < s.size(); ++i) ASSERT_EQ(s[i], static_cast<char>('a' + i % 26));
}

TEST_P(reduce_on_pool, iterator_form_matches_accumulate) {
  for (std::size_t n : sizes) {
    const auto v = random_values(n, 99);
    const auto got = pool().run([&] {
      return brigade::parallel_reduce(v.begin(), v.end(), std::int64_t{0},
                                      [](std::int64_t a, std::int64_t b) { return a + b; });
    });
    EXPECT_EQ(got, std::accumulate(v.begin(), v.end(), std::int64_t{0})) << n;
  }
}

TEST_P(reduce_on_pool, grain_form_matches) {
  const auto v = random_values(100003, 5);
  for (std::size_t grain : {1, 10, 5000, 1000000}) {
    const auto sum = pool().run([&] {
      return brigade::parallel_reduce(
          0, v.size(), std::int64_t{0},
          [&](std::size_t b, std::size_t e, std::int64_t acc) {
            for (std::size_t i = b; i < e; ++i) acc += v[i];
            return acc;
          },
          [](std::int64_t x, std::int64_t y) { return x + y; }, {.grain = grain});
    });
    EXPECT_EQ(sum, std::accumulate(v.begin(), v.end(), std::int64_t{0})) << grain;
  }
}

TEST_P(reduce_on_pool, pool_overloads_with_grain_and_iterators_match) {
  const auto v = random_values(100003, 6);
  const auto expected = std::accumulate(v.begin(), v.end(), std::int64_t{0});
  const auto by_grain = brigade::parallel_reduce(
      0, v.size(), std::int64_t{0},
      [&](std::size_t b, std::size_t e, std::int64_t acc) {
        for (std::size_t i = b; i < e; ++i) acc += v[i];
        return acc;
      },
      [](std::int64_t x, std::int64_t y) { return x + y; }, {.grain = 777, .pool = &pool()});
  EXPECT_EQ(by_grain, expected);
  const auto by_element = brigade::parallel_reduce(
      v.begin(), v.end(), std::int64_t{0}, [](std::int64_t a, std::int64_t b) { return a + b; },
      {.pool = &pool()});
  EXPECT_EQ(by_element, expected);
  // A zero grain means automatic (it was an error when the grain was positional).
  EXPECT_EQ(brigade::parallel_reduce(
                0, 10, 0, [](int b, int e, int a) { return a + e - b; },
                [](int a, int b) { return a + b; }, {.grain = 0, .pool = &pool()}),
            10);
}

TEST_P(reduce_on_pool, exception_reaches_the_caller) {
  EXPECT_THROW(brigade::parallel_reduce(
                   0, 100000, 0,
                   [](std::size_t b, std::size_t e, int acc) {
                     if (b <= 77777 && 77777 < e) throw std::out_of_range("77777");
                     return acc + static_cast<int>(e - b);
                   },
                   [](int a, int b) { return a + b; }, {.pool = &pool()}),
               std::out_of_range);
}

TEST_P(reduce_on_pool, negative_ranges_sum_correctly) {
  auto sum_of = [](auto b, auto e, long acc) {
    static_assert(std::is_same_v<decltype(b), int>);
    for (auto i = b; i < e; ++i) acc += i;
    return acc;
  };
  auto plus = [](long x, long y) { return x + y; };
  // -100 + ... + 99 = -100, whatever the pieces.
  EXPECT_EQ(brigade::parallel_reduce(-100, 100, 0L, sum_of, plus, {.pool = &pool()}), -100);
  for (std::size_t grain : {1, 3, 64, 1000})
    EXPECT_EQ(
        brigade::parallel_reduce(-100, 100, 0L, sum_of, plus, {.grain = grain, .pool = &pool()}),
        -100)
        << grain;
  EXPECT_EQ(brigade::parallel_reduce(-7, -7, 5L, sum_of, plus, {.pool = &pool()}), 5);
  // Mixed: int64 and unsigned have int64 as their common type.
  const auto mixed =
      brigade::parallel_reduce(std::int64_t{-1'000'000}, 1'000'000u, std::int64_t{0},
                               [](auto b, auto e, std::int64_t acc) {
                                 static_assert(std::is_same_v<decltype(b), std::int64_t>);
                                 for (auto i = b; i < e; ++i) acc += i;
                                 return acc;
                               },
                               std::plus<>(), {.pool = &pool()});
  EXPECT_EQ(mixed, -1'000'000);
}

TEST_P(reduce_on_pool, extreme_ranges_count_every_iteration) {
  // Counts the iterations of each piece in uint64: the pieces of [min, max) add up to
  // max - min exactly, with no overflow in the loop's own arithmetic.
  auto count = [](auto b, auto e, std::uint64_t acc) {
    return acc + (static_cast<std::uint64_t>(e) - static_cast<std::uint64_t>(b));
  };
  auto plus = [](std::uint64_t x, std::uint64_t y) { return x + y; };
  EXPECT_EQ(brigade::parallel_reduce(INT_MIN, INT_MAX, std::uint64_t{0}, count, plus,
                                     {.grain = std::size_t{1} << 24, .pool = &pool()}),
            (std::uint64_t{1} << 32) - 1);
  EXPECT_EQ(brigade::parallel_reduce(std::numeric_limits<std::int64_t>::min(),
                                     std::numeric_limits<std::int64_t>::max(), std::uint64_t{0},
                                     count, plus, {.grain = std::size_t{1} << 56, .pool = &pool()}),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(brigade::parallel_reduce(std::int8_t{-128}, std::int8_t{127}, std::uint64_t{0}, count,
                                     plus, {.pool = &pool()}),
            255u);
}

TEST_P(reduce_on_pool, options_pool_runs_every_call_there) {
  std::atomic<int> elsewhere{0};
  auto here = [&] {
    if (!pool().owns_current_thread()) elsewhere++;
  };
  const auto v = random_values(100003, 8);
  const auto expected = std::accumulate(v.begin(), v.end(), std::int64_t{0});
  auto chunk = [&](std::size_t b, std::size_t e, std::int64_t acc) {
    here();
    for (std::size_t i = b; i < e; ++i) acc += v[i];
    return acc;
  };
  auto combine = [&](std::int64_t x, std::int64_t y) {
    here();
    return x + y;
  };
  EXPECT_EQ(
      brigade::parallel_reduce(0, v.size(), std::int64_t{0}, chunk, combine, {.pool = &pool()}),
      expected);
  EXPECT_EQ(brigade::parallel_reduce(v.begin(), v.end(), std::int64_t{0}, combine,
                                     {.grain = 100, .pool = &pool()}),
            expected);
  EXPECT_EQ(elsewhere.load(), 0);
}

TEST_P(reduce_on_pool, range_form_matches_accumulate) {
  for (std::size_t n : sizes) {
    const auto v = random_values(n, 123);
    const auto expected = std::accumulate(v.begin(), v.end(), std::int64_t{0});
    const auto got =
        pool().run([&] { return brigade::parallel_reduce(v, std::int64_t{0}, std::plus<>()); });
    EXPECT_EQ(got, expected) << n;
    std::atomic<int> elsewhere{0};
    auto plus = [&](std::int64_t x, std::int64_t y) {
      if (!pool().owns_current_thread()) elsewhere++;
      return x + y;
    };
    EXPECT_EQ(brigade::parallel_reduce(v, std::int64_t{0}, plus, {.grain = 1000, .pool = &pool()}),
              expected)
        << n;
    EXPECT_EQ(elsewhere.load(), 0);
  }
  // Order is kept: concatenation is associative, not commutative.
  std::deque<std::string> words(3000);
  for (std::size_t i = 0; i < words.size(); ++i)
    words[i] = std::string(1, static_cast<char>('a' + i % 26));
  const std::string joined =
      brigade::parallel_reduce(words, std::string(), std::plus<>(), {.pool = &pool()});
  ASSERT_EQ(joined.size(), 3000u);
  for (std::size_t i = 0; i < joined.size(); ++i)
    ASSERT_EQ(joined[i], static_cast<char>('a' + i % 26));
  const std::array<int, 4> a{1, 2, 3, 4};
  EXPECT_EQ(brigade::parallel_reduce(a, 1, std::multiplies<>(), {.pool = &pool()}), 24);
}

BRIGADE_INSTANTIATE_ON_POOLS(reduce_on_pool);

TEST(parallel_reduce, bad_arguments_are_errors) {
  auto chunk = [](std::size_t, std::size_t, int a) { return a; };
  auto plus = [](int a, int b) { return a + b; };
  EXPECT_THROW(brigade::parallel_reduce(9, 3, 0, chunk, plus), std::invalid_argument);
  EXPECT_NO_THROW(brigade::parallel_reduce(0, 3, 0, chunk, plus, {.grain = 0}));  // automatic
}

TEST(parallel_reduce, bad_integer_ranges_are_errors_naming_the_values) {
  auto chunk = [](auto, auto, int a) { return a; };
  auto plus = [](int a, int b) { return a + b; };
  std::string msg = error_of([&] { brigade::parallel_reduce(-3, std::size_t{3}, 0, chunk, plus); });
  EXPECT_NE(msg.find("parallel_reduce"), std::string::npos) << msg;
  EXPECT_NE(msg.find("first (-3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unsigned"), std::string::npos) << msg;
  msg = error_of([&] { brigade::parallel_reduce(4, -4, 0, chunk, plus); });
  EXPECT_NE(msg.find("first (4)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("last (-4)"), std::string::npos) << msg;
  std::vector<int> v(5);
  EXPECT_THROW(brigade::parallel_reduce(v.end(), v.begin(), 0, plus), std::invalid_argument);
}

}  // namespace

// {.deterministic = true}: the pieces and the combine tree depend only on the range and the
// grain, so a floating-point sum is the same bits on every pool size and every run.
namespace {

// The same tree, serially: halve above `leaf`, fold leaves from 0.0, combine halves.
double tree_sum(const std::vector<double>& v, std::size_t b, std::size_t e, std::size_t leaf) {
  if (e - b <= leaf) {
    double acc = 0.0;
    for (std::size_t i = b; i < e; ++i) acc += v[i];
    return acc;
  }
  const std::size_t mid = b + (e - b) / 2;
  return tree_sum(v, b, mid, leaf) + tree_sum(v, mid, e, leaf);
}

}  // namespace

TEST(parallel_reduce, deterministic_sums_are_bit_identical_on_every_pool_and_run) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  std::vector<double> v(100'003);
  for (double& x : v) x = dist(rng) * std::pow(10.0, static_cast<double>(rng() % 12) - 6.0);
  auto sum = [&](brigade::pool& p, std::size_t grain) {
    return brigade::parallel_reduce(std::size_t{0}, v.size(), 0.0,
                                    [&](std::size_t b, std::size_t e, double acc) {
                                      for (std::size_t i = b; i < e; ++i) acc += v[i];
                                      return acc;
                                    },
                                    std::plus<>(),
                                    {.grain = grain, .pool = &p, .deterministic = true});
  };
  for (std::size_t grain : {std::size_t{0}, std::size_t{1}, std::size_t{97}, std::size_t{4096}}) {
    const std::size_t leaf = grain != 0 ? grain : v.size() / 1024 + 1;
    const double expected = tree_sum(v, 0, v.size(), leaf);
    for (unsigned threads : {1u, 2u, 4u}) {
      brigade::pool p(threads);
      for (int run = 0; run < 5; ++run) {
        const double got = sum(p, grain);
        EXPECT_EQ(std::memcmp(&got, &expected, sizeof got), 0)
            << "grain " << grain << ", " << threads << " threads, run " << run << ": " << got
            << " vs " << expected;
      }
    }
  }
  // A plain (lazy) reduction of the same data usually differs in the last bits: the point.
}
