// brigade::parallel_for and parallel_for_range: coverage, grain, iterators, ranges, options,
// integral index types (negative, mixed, 8 to 64 bits, extreme bounds), errors.
#include <brigade/par/parallel_for.hpp>

#include "support/error_text.hpp"
#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <set>

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <numeric>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using brigade::testing::on_pool;

const std::vector<std::size_t> sizes = {0, 1, 2, 3, 7, 13, 97, 1009, 10007, 100003, 1 << 20};

using brigade::testing::error_of;

// Which spellings compile: the plain and options forms do; a positional grain, a pool first and
// bool bounds do not.
template <class... Args>
concept parallel_for_accepts = requires(Args&&... args) {
  brigade::parallel_for(std::forward<Args>(args)...);
};
template <class... Args>
concept parallel_for_range_accepts = requires(Args&&... args) {
  brigade::parallel_for_range(std::forward<Args>(args)...);
};
using index_body = void (*)(std::size_t);
using piece_body = void (*)(std::size_t, std::size_t);
using element_body = void (*)(int&);
using int_iterator = std::vector<int>::iterator;
static_assert(parallel_for_accepts<int, int, index_body>);
static_assert(parallel_for_accepts<int, std::size_t, index_body, brigade::par_options>);
static_assert(parallel_for_accepts<int_iterator, int_iterator, element_body>);
static_assert(parallel_for_accepts<std::vector<int>&, element_body, brigade::par_options>);
static_assert(parallel_for_range_accepts<long, unsigned, piece_body, brigade::par_options>);
static_assert(!parallel_for_accepts<int, int, std::size_t, index_body>);
static_assert(!parallel_for_accepts<brigade::pool&, int, int, index_body>);
static_assert(!parallel_for_accepts<brigade::pool&, int_iterator, int_iterator, element_body>);
static_assert(!parallel_for_accepts<bool, bool, index_body>);
static_assert(!parallel_for_range_accepts<int, int, std::size_t, piece_body>);
static_assert(!parallel_for_range_accepts<brigade::pool&, int, int, piece_body>);

// Runs parallel_for_range(first, last) with `grain` on p and checks that the pieces, of type T,
// tile [first, last), each but the last with at least `grain` iterations. Counts the pieces.
template <class T>
void expect_tiled(brigade::pool& p, T first, T last, std::size_t grain, std::size_t* count) {
  std::mutex mu;
  std::vector<std::pair<T, T>> pieces;
  brigade::parallel_for_range(
      first, last,
      [&](auto b, auto e) {
        static_assert(std::is_same_v<decltype(b), T> && std::is_same_v<decltype(e), T>);
        std::lock_guard lock(mu);
        pieces.emplace_back(b, e);
      },
      {.grain = grain, .pool = &p});
  std::sort(pieces.begin(), pieces.end());
  T next = first;
  for (auto [b, e] : pieces) {
    ASSERT_EQ(b, next);
    ASSERT_LT(b, e);
    // The distance in uint64 arithmetic: exact, even across the whole of int64.
    if (e != last) {
      ASSERT_GE(static_cast<std::uint64_t>(e) - static_cast<std::uint64_t>(b), grain);
    }
    next = e;
  }
  EXPECT_EQ(next, last);
  *count = pieces.size();
}

class for_on_pool : public on_pool {};

TEST_P(for_on_pool, visits_every_index_exactly_once) {
  for (std::size_t n : sizes) {
    std::vector<unsigned char> seen(n, 0);
    brigade::parallel_for(0, n, [&](std::size_t i) { seen[i]++; }, {.pool = &pool()});
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<std::ptrdiff_t>(n)) << n;
  }
}

TEST_P(for_on_pool, offset_ranges) {
  std::vector<int> v(1000, 0);
  brigade::parallel_for(250, 750, [&](std::size_t i) { v[i] = 1; }, {.pool = &pool()});
  EXPECT_EQ(std::accumulate(v.begin(), v.begin() + 250, 0), 0);
  EXPECT_EQ(std::accumulate(v.begin() + 250, v.begin() + 750, 0), 500);
  EXPECT_EQ(std::accumulate(v.begin() + 750, v.end(), 0), 0);
}

TEST_P(for_on_pool, automatic_pieces_tile_the_range) {
  for (std::size_t n : sizes) {
    std::mutex mu;
    std::vector<std::pair<std::size_t, std::size_t>> pieces;
    brigade::parallel_for_range(0, n,
                                [&](std::size_t b, std::size_t e) {
                                  std::lock_guard lock(mu);
                                  pieces.emplace_back(b, e);
                                },
                                {.pool = &pool()});
    std::sort(pieces.begin(), pieces.end());
    std::size_t next = 0;
    for (auto [b, e] : pieces) {
      ASSERT_EQ(b, next);
      ASSERT_LT(b, e);
      next = e;
    }
    EXPECT_EQ(next, n);
  }
}

TEST_P(for_on_pool, explicit_grain_never_cuts_smaller_pieces) {
  for (std::size_t grain : {1, 3, 64, 1000}) {
    for (std::size_t n : sizes) {
      std::mutex mu;
      std::vector<std::pair<std::size_t, std::size_t>> pieces;
      pool().run([&] {
        brigade::parallel_for_range(0, n,
                                    [&](std::size_t b, std::size_t e) {
                                      std::lock_guard lock(mu);
                                      pieces.emplace_back(b, e);
                                    },
                                    {.grain = grain});
      });
      std::sort(pieces.begin(), pieces.end());
      std::size_t next = 0;
      for (auto [b, e] : pieces) {
        ASSERT_EQ(b, next);
        // Only a piece ending the range may be shorter than the grain.
        if (e != n) {
          ASSERT_GE(e - b, grain) << "n=" << n << " grain=" << grain;
        }
        next = e;
      }
      EXPECT_EQ(next, n);
    }
  }
}

TEST_P(for_on_pool, index_form_with_grain) {
  std::vector<std::atomic<int>> hits(5000);
  brigade::parallel_for(0, 5000, [&](std::size_t i) { hits[i]++; }, {.grain = 7, .pool = &pool()});
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST_P(for_on_pool, iterator_form_visits_every_element) {
  std::vector<int> v(10007);
  std::iota(v.begin(), v.end(), 0);
  pool().run([&] { brigade::parallel_for(v.begin(), v.end(), [](int& x) { x *= 2; }); });
  for (std::size_t i = 0; i < v.size(); ++i) ASSERT_EQ(v[i], static_cast<int>(2 * i));
}

TEST_P(for_on_pool, pool_overloads_for_iterators_and_ranges_with_grain) {
  std::vector<int> v(10007);
  std::iota(v.begin(), v.end(), 0);
  brigade::parallel_for(v.begin(), v.end(), [](int& x) { x *= 2; }, {.pool = &pool()});
  for (std::size_t i = 0; i < v.size(); ++i) ASSERT_EQ(v[i], static_cast<int>(2 * i));
  std::vector<std::atomic<int>> hits(5000);
  std::atomic<int> small{0};
  brigade::parallel_for_range(0, 5000,
                              [&](std::size_t b, std::size_t e) {
                                if (e - b < 64 && e != 5000) small++;
                                for (std::size_t i = b; i < e; ++i) hits[i]++;
                              },
                              {.grain = 64, .pool = &pool()});
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  EXPECT_EQ(small.load(), 0);
  // A zero grain means automatic (it was an error when the grain was positional).
  std::atomic<int> covered{0};
  brigade::parallel_for_range(0, 10, [&](int b, int e) { covered += e - b; },
                              {.grain = 0, .pool = &pool()});
  EXPECT_EQ(covered.load(), 10);
}

TEST_P(for_on_pool, exception_reaches_the_caller_and_stops_the_loop) {
  std::atomic<std::size_t> ran{0};
  const std::size_t n = 1 << 20;
  try {
    brigade::parallel_for(0, n,
                          [&](std::size_t i) {
                            ran++;
                            if (i == 1000) throw std::runtime_error("iteration 1000");
                          },
                          {.pool = &pool()});
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "iteration 1000");
  }
  EXPECT_LT(ran.load(), n);  // the rest was skipped
}

TEST_P(for_on_pool, lowest_failing_iteration_that_ran_wins) {
  // Every iteration throws its index; once one has thrown, others may be skipped. The caller
  // gets the lowest index among those that did run.
  for (int rep = 0; rep < 20; ++rep) {
    std::mutex mu;
    std::vector<std::size_t> thrown;
    try {
      brigade::parallel_for(0, 64,
                            [&](std::size_t i) {
                              {
                                std::lock_guard lock(mu);
                                thrown.push_back(i);
                              }
                              throw std::runtime_error(std::to_string(i));
                            },
                            {.pool = &pool()});
      FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
      ASSERT_FALSE(thrown.empty());
      EXPECT_EQ(e.what(), std::to_string(*std::min_element(thrown.begin(), thrown.end())));
    }
  }
}

TEST_P(for_on_pool, options_pool_runs_every_call_there) {
  // Called from the test's thread, not a worker: each form must run on the pool given.
  std::atomic<int> elsewhere{0}, calls{0};
  auto note = [&] {
    calls++;
    if (!pool().owns_current_thread()) elsewhere++;
  };
  brigade::parallel_for(0, 10007, [&](std::size_t) { note(); }, {.pool = &pool()});
  brigade::parallel_for(5000, 15000, [&](std::size_t) { note(); }, {.grain = 100, .pool = &pool()});
  std::vector<int> v(3001);
  brigade::parallel_for(v.begin(), v.end(), [&](int&) { note(); }, {.grain = 7, .pool = &pool()});
  brigade::parallel_for_range(0, 10007, [&](std::size_t, std::size_t) { note(); },
                              {.pool = &pool()});
  EXPECT_EQ(elsewhere.load(), 0);
  EXPECT_GE(calls.load(), 10007 + 10000 + 3001 + 1);
}

TEST_P(for_on_pool, plain_form_inside_a_worker_uses_that_workers_pool) {
  std::atomic<int> elsewhere{0};
  pool().run([&] {
    brigade::parallel_for(0, 5000, [&](std::size_t) {
      if (!pool().owns_current_thread()) elsewhere++;
    });
  });
  EXPECT_EQ(elsewhere.load(), 0);
}

TEST_P(for_on_pool, negative_range_runs_exactly_those_indices) {
  std::mutex mu;
  std::vector<int> got;
  brigade::parallel_for(-5, 5,
                        [&](auto i) {
                          static_assert(std::is_same_v<decltype(i), int>);
                          std::lock_guard lock(mu);
                          got.push_back(i);
                        },
                        {.pool = &pool()});
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<int>{-5, -4, -3, -2, -1, 0, 1, 2, 3, 4}));
}

TEST_P(for_on_pool, eight_bit_ranges_cover_the_whole_type) {
  std::array<std::atomic<int>, 256> seen{};
  brigade::parallel_for(std::int8_t{-128}, std::int8_t{127},
                        [&](auto i) {
                          static_assert(std::is_same_v<decltype(i), std::int8_t>);
                          seen[static_cast<std::size_t>(i + 128)]++;
                        },
                        {.pool = &pool()});
  for (std::size_t k = 0; k < 255; ++k) ASSERT_EQ(seen[k].load(), 1) << k;
  EXPECT_EQ(seen[255].load(), 0);  // 127 is last: excluded

  std::array<std::atomic<int>, 256> useen{};
  brigade::parallel_for(std::uint8_t{0}, std::uint8_t{255}, [&](std::uint8_t i) { useen[i]++; },
                        {.pool = &pool()});
  for (std::size_t k = 0; k < 255; ++k) ASSERT_EQ(useen[k].load(), 1) << k;
  EXPECT_EQ(useen[255].load(), 0);
}

TEST_P(for_on_pool, mixed_index_types_use_their_common_type) {
  std::vector<std::atomic<int>> hits(1000);
  brigade::parallel_for(0, hits.size(), [&](auto i) {
    static_assert(std::is_same_v<decltype(i), std::size_t>);
    hits[i]++;
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  // int64 and unsigned: the common type is int64, so a negative first is fine.
  std::atomic<std::int64_t> sum{0};
  std::atomic<int> count{0};
  brigade::parallel_for(std::int64_t{-3}, 5u,
                        [&](auto i) {
                          static_assert(std::is_same_v<decltype(i), std::int64_t>);
                          sum += i;
                          count++;
                        },
                        {.pool = &pool()});
  EXPECT_EQ(sum.load(), -3 - 2 - 1 + 0 + 1 + 2 + 3 + 4);
  EXPECT_EQ(count.load(), 8);
}

TEST_P(for_on_pool, negative_and_extreme_ranges_tile_in_pieces) {
  std::size_t count = 0;
  expect_tiled(pool(), -1000, 1000, 64, &count);
  expect_tiled(pool(), -1000, -999, 1, &count);
  EXPECT_EQ(count, 1u);
  expect_tiled(pool(), -7, -7, 1, &count);
  EXPECT_EQ(count, 0u);
  // 2^32 - 1 iterations in pieces of at least 2^24; the size never overflows.
  expect_tiled(pool(), INT_MIN, INT_MAX, std::size_t{1} << 24, &count);
  EXPECT_GE(count, 1u);
  EXPECT_LE(count, 256u);
  // 2^64 - 1 iterations, the most there can be.
  expect_tiled(pool(), std::numeric_limits<std::int64_t>::min(),
               std::numeric_limits<std::int64_t>::max(), std::size_t{1} << 56, &count);
  EXPECT_LE(count, 256u);
  expect_tiled(pool(), std::uint64_t{0}, std::numeric_limits<std::uint64_t>::max(),
               std::size_t{1} << 56, &count);
  EXPECT_LE(count, 256u);
  // A grain above half the range (even above 2^63) leaves it whole.
  expect_tiled(pool(), std::uint64_t{0}, std::numeric_limits<std::uint64_t>::max(),
               std::size_t{1} << 63, &count);
  EXPECT_EQ(count, 1u);
  expect_tiled(pool(), std::int64_t{-10}, std::int64_t{10}, std::numeric_limits<std::size_t>::max(),
               &count);
  EXPECT_EQ(count, 1u);
}

TEST_P(for_on_pool, range_form_visits_every_element_by_reference) {
  std::vector<int> v(10007);
  std::iota(v.begin(), v.end(), 0);
  std::atomic<int> elsewhere{0};
  brigade::parallel_for(v,
                        [&](int& x) {
                          if (!pool().owns_current_thread()) elsewhere++;
                          x *= 2;
                        },
                        {.grain = 7, .pool = &pool()});
  for (std::size_t i = 0; i < v.size(); ++i) ASSERT_EQ(v[i], static_cast<int>(2 * i));
  EXPECT_EQ(elsewhere.load(), 0);
  std::deque<int> d(3000, 1);
  pool().run([&] { brigade::parallel_for(d, [](int& x) { x += 1; }); });
  EXPECT_EQ(std::count(d.begin(), d.end(), 2), 3000);
  std::array<int, 5> a{1, 2, 3, 4, 5};
  brigade::parallel_for(std::span(a).subspan(1, 3), [](int& x) { x = -x; }, {.pool = &pool()});
  EXPECT_EQ(a, (std::array<int, 5>{1, -2, -3, -4, 5}));
  std::vector<int> none;
  brigade::parallel_for(none, [](int&) { ADD_FAILURE(); }, {.pool = &pool()});
}

BRIGADE_INSTANTIATE_ON_POOLS(for_on_pool);

TEST(parallel_for, first_after_last_is_an_error_naming_both) {
  const std::string msg = error_of([] { brigade::parallel_for(10, 5, [](std::size_t) {}); });
  EXPECT_NE(msg.find("10"), std::string::npos) << msg;
  EXPECT_NE(msg.find("5"), std::string::npos) << msg;
}

TEST(parallel_for, zero_grain_means_automatic) {
  // Formerly zero_grain_is_an_error: a grain given as options may be 0, the default.
  std::vector<std::atomic<int>> hits(5);
  brigade::parallel_for(0, 5, [&](std::size_t i) { hits[i]++; }, {.grain = 0});
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  std::atomic<int> covered{0};
  brigade::parallel_for_range(0, 5, [&](int b, int e) { covered += e - b; }, {.grain = 0});
  EXPECT_EQ(covered.load(), 5);
}

TEST(parallel_for, negative_first_after_last_is_an_error_naming_both) {
  const std::string msg = error_of([] { brigade::parallel_for(5, -5, [](int) {}); });
  EXPECT_NE(msg.find("first (5)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("last (-5)"), std::string::npos) << msg;
}

TEST(parallel_for, negative_bound_with_an_unsigned_one_is_an_error_naming_it) {
  std::atomic<int> calls{0};
  std::string msg =
      error_of([&] { brigade::parallel_for(-5, std::size_t{10}, [&](auto) { calls++; }); });
  EXPECT_NE(msg.find("first (-5)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("last (10)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unsigned"), std::string::npos) << msg;
  msg = error_of([&] { brigade::parallel_for(0u, -1, [&](auto) { calls++; }); });
  EXPECT_NE(msg.find("last (-1)"), std::string::npos) << msg;
  msg = error_of([&] {
    brigade::parallel_for_range(std::int8_t{-1}, std::uint64_t{3}, [&](auto, auto) { calls++; });
  });
  EXPECT_NE(msg.find("parallel_for_range"), std::string::npos) << msg;
  EXPECT_NE(msg.find("first (-1)"), std::string::npos) << msg;
  EXPECT_EQ(calls.load(), 0);
}

TEST(parallel_for, reversed_iterators_are_an_error) {
  std::vector<int> v(10);
  EXPECT_THROW(brigade::parallel_for(v.end(), v.begin(), [](int&) {}), std::invalid_argument);
}

TEST(parallel_for, from_eight_plain_threads_at_once) {
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int r = 0; r < 10; ++r) {
        std::vector<std::atomic<int>> hits(3001);
        brigade::parallel_for(0, hits.size(), [&](std::size_t i) { hits[i]++; });
        for (auto& h : hits)
          if (h.load() != 1) wrong++;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace

// {.deterministic = true}: the same pieces whatever the pool.
TEST(parallel_for, deterministic_pieces_depend_only_on_the_range_and_grain) {
  auto pieces = [](unsigned threads) {
    brigade::pool p(threads);
    std::mutex mu;
    std::set<std::pair<int, int>> seen;
    brigade::parallel_for_range(-50, 1000,
                                [&](int b, int e) {
                                  std::lock_guard lock(mu);
                                  seen.emplace(b, e);
                                },
                                {.grain = 64, .pool = &p, .deterministic = true});
    return seen;
  };
  const auto one = pieces(1);
  EXPECT_EQ(one.size(), 32u);  // 1050 halved five times: 32 leaves of 32 or 33
  for (const auto& [b, e] : one) EXPECT_LE(e - b, 64);
  EXPECT_EQ(pieces(2), one);
  EXPECT_EQ(pieces(4), one);
}
