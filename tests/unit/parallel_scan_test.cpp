// brigade::parallel_scan and parallel_exclusive_scan against std::inclusive_scan and
// std::exclusive_scan on random inputs of many sizes, in place, non-commutative, options,
// errors.
#include <brigade/par/parallel_scan.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using brigade::testing::on_pool;

const std::vector<std::size_t> sizes = {0,    1,     2,     3,     7,     13,     97,
                                        1009, 16383, 16384, 16385, 65537, 100003, 1 << 20};

std::vector<std::int64_t> random_values(std::size_t n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<std::int64_t> dist(-1000, 1000);
  std::vector<std::int64_t> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

class scan_on_pool : public on_pool {};

TEST_P(scan_on_pool, inclusive_matches_std) {
  for (std::size_t n : sizes) {
    const auto v = random_values(n, static_cast<unsigned>(n));
    std::vector<std::int64_t> expected(n), got(n);
    std::inclusive_scan(v.begin(), v.end(), expected.begin(), std::plus<>(), std::int64_t{5});
    brigade::parallel_scan(v.begin(), v.end(), got.begin(), std::int64_t{5}, std::plus<>(),
                           {.pool = &pool()});
    EXPECT_EQ(got, expected) << n;
  }
}

TEST_P(scan_on_pool, exclusive_matches_std) {
  for (std::size_t n : sizes) {
    const auto v = random_values(n, static_cast<unsigned>(n) + 1);
    std::vector<std::int64_t> expected(n), got(n);
    std::exclusive_scan(v.begin(), v.end(), expected.begin(), std::int64_t{-3}, std::plus<>());
    brigade::parallel_exclusive_scan(v.begin(), v.end(), got.begin(), std::int64_t{-3},
                                     std::plus<>(), {.pool = &pool()});
    EXPECT_EQ(got, expected) << n;
  }
}

TEST_P(scan_on_pool, in_place) {
  for (std::size_t n : sizes) {
    auto v = random_values(n, 3);
    auto w = v;
    std::vector<std::int64_t> inc(n), exc(n);
    std::inclusive_scan(v.begin(), v.end(), inc.begin());
    std::exclusive_scan(w.begin(), w.end(), exc.begin(), std::int64_t{0});
    brigade::parallel_scan(v.begin(), v.end(), v.begin(), std::int64_t{0}, std::plus<>(),
                           {.pool = &pool()});
    brigade::parallel_exclusive_scan(w.begin(), w.end(), w.begin(), std::int64_t{0}, std::plus<>(),
                                     {.pool = &pool()});
    EXPECT_EQ(v, inc) << n;
    EXPECT_EQ(w, exc) << n;
  }
}

TEST_P(scan_on_pool, non_commutative_operation_keeps_order) {
  // 2x2 integer matrix products modulo a prime: associative, not commutative.
  struct m2 {
    std::uint64_t a, b, c, d;
    bool operator==(const m2&) const = default;
  };
  constexpr std::uint64_t p = 1'000'003;
  auto mul = [](const m2& x, const m2& y) {
    return m2{(x.a * y.a + x.b * y.c) % p, (x.a * y.b + x.b * y.d) % p, (x.c * y.a + x.d * y.c) % p,
              (x.c * y.b + x.d * y.d) % p};
  };
  std::mt19937 gen(11);
  std::vector<m2> v(70001);
  for (auto& m : v) m = {gen() % p, gen() % p, gen() % p, gen() % p};
  std::vector<m2> expected(v.size()), got(v.size());
  const m2 id{1, 0, 0, 1};
  std::inclusive_scan(v.begin(), v.end(), expected.begin(), mul, id);
  brigade::parallel_scan(v.begin(), v.end(), got.begin(), id, mul, {.pool = &pool()});
  EXPECT_TRUE(got == expected);
}

TEST_P(scan_on_pool, exception_from_op_reaches_the_caller) {
  std::vector<int> v(100000, 1), out(v.size());
  EXPECT_THROW(brigade::parallel_scan(v.begin(), v.end(), out.begin(), 0,
                                      [](int a, int b) {
                                        if (a == 77777) throw std::overflow_error("77777");
                                        return a + b;
                                      },
                                      {.pool = &pool()}),
               std::overflow_error);
}

TEST_P(scan_on_pool, options_pool_runs_every_operation_there) {
  // Called from the test's thread: the serial path (small n) and the two-pass one both run on
  // the pool given.
  std::atomic<int> elsewhere{0};
  auto plus = [&](std::int64_t a, std::int64_t b) {
    if (!pool().owns_current_thread()) elsewhere++;
    return a + b;
  };
  for (std::size_t n : {std::size_t{100}, std::size_t{100003}}) {
    const auto v = random_values(n, 12);
    std::vector<std::int64_t> inc(n), exc(n), got(n);
    std::inclusive_scan(v.begin(), v.end(), inc.begin(), std::plus<>(), std::int64_t{1});
    std::exclusive_scan(v.begin(), v.end(), exc.begin(), std::int64_t{1});
    brigade::parallel_scan(v.begin(), v.end(), got.begin(), std::int64_t{1}, plus,
                           {.pool = &pool()});
    EXPECT_EQ(got, inc) << n;
    brigade::parallel_exclusive_scan(v.begin(), v.end(), got.begin(), std::int64_t{1}, plus,
                                     {.pool = &pool()});
    EXPECT_EQ(got, exc) << n;
  }
  EXPECT_EQ(elsewhere.load(), 0);
}

TEST_P(scan_on_pool, plain_form_inside_a_worker_uses_that_workers_pool) {
  std::atomic<int> elsewhere{0};
  const auto v = random_values(100003, 13);
  std::vector<std::int64_t> expected(v.size()), got(v.size());
  std::inclusive_scan(v.begin(), v.end(), expected.begin());
  pool().run([&] {
    brigade::parallel_scan(v.begin(), v.end(), got.begin(), std::int64_t{0},
                           [&](std::int64_t a, std::int64_t b) {
                             if (!pool().owns_current_thread()) elsewhere++;
                             return a + b;
                           });
  });
  EXPECT_EQ(got, expected);
  EXPECT_EQ(elsewhere.load(), 0);
}

BRIGADE_INSTANTIATE_ON_POOLS(scan_on_pool);

TEST(parallel_scan, reversed_range_is_an_error) {
  std::vector<int> v(10), out(10);
  EXPECT_THROW(brigade::parallel_scan(v.end(), v.begin(), out.begin(), 0, std::plus<>()),
               std::invalid_argument);
  EXPECT_THROW(brigade::parallel_exclusive_scan(v.end(), v.begin(), out.begin(), 0, std::plus<>()),
               std::invalid_argument);
}

TEST(parallel_scan, strings_from_a_plain_thread) {
  std::vector<std::string> v(5000, "x");
  std::vector<std::string> out(v.size());
  brigade::parallel_scan(v.begin(), v.end(), out.begin(), std::string(), std::plus<>());
  for (std::size_t i = 0; i < out.size(); i += 97) ASSERT_EQ(out[i].size(), i + 1);
}

}  // namespace
