// The arithmetic of `brigade scale` on synthetic timings whose answers are known exactly.
#include "scale_math.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace {

using brigade::cli::amdahl_fit;
using brigade::cli::amdahl_speedup;
using brigade::cli::analyse_scaling;
using brigade::cli::karp_flatt;
using brigade::cli::median;
using brigade::cli::summarize;

std::vector<double> amdahl_times(double t1, double f, unsigned n) {
  std::vector<double> t;
  for (unsigned p = 1; p <= n; ++p) t.push_back(t1 * (f + (1 - f) / p));
  return t;
}

std::vector<unsigned> one_to(unsigned n) {
  std::vector<unsigned> p;
  for (unsigned i = 1; i <= n; ++i) p.push_back(i);
  return p;
}

TEST(scale_math, median_of_odd_and_even_counts) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_TRUE(std::isnan(median({})));
}

TEST(scale_math, repetitions_keep_their_median_min_max_and_spread) {
  const auto r = summarize({0.9, 1.2, 1.0});
  EXPECT_DOUBLE_EQ(r.median, 1.0);
  EXPECT_DOUBLE_EQ(r.min, 0.9);
  EXPECT_DOUBLE_EQ(r.max, 1.2);
  EXPECT_NEAR(r.spread(), 0.3, 1e-12);
  EXPECT_DOUBLE_EQ(summarize({2.5}).spread(), 0);
  EXPECT_TRUE(std::isnan(summarize({}).median));
}

TEST(scale_math, perfect_scaling_has_no_serial_fraction) {
  const auto r = analyse_scaling(one_to(8), amdahl_times(2.0, 0.0, 8));
  EXPECT_NEAR(r.serial_fraction, 0.0, 1e-12);
  for (std::size_t i = 0; i < r.threads.size(); ++i) {
    EXPECT_NEAR(r.speedup[i], r.threads[i], 1e-12);
    EXPECT_NEAR(r.efficiency[i], 1.0, 1e-12);
    if (i > 0) {
      EXPECT_NEAR(r.karp_flatt[i], 0.0, 1e-12);
    }
  }
  EXPECT_TRUE(std::isnan(r.karp_flatt[0]));  // undefined at one thread
}

TEST(scale_math, amdahl_data_gives_back_its_serial_fraction) {
  const auto r = analyse_scaling(one_to(6), amdahl_times(10.0, 0.2, 6));
  EXPECT_NEAR(r.serial_fraction, 0.2, 1e-12);
  for (std::size_t i = 1; i < r.threads.size(); ++i) EXPECT_NEAR(r.karp_flatt[i], 0.2, 1e-12);
  EXPECT_NEAR(r.speedup[1], 1 / 0.6, 1e-12);  // 1 / (0.2 + 0.8 / 2)
  EXPECT_NEAR(amdahl_speedup(0.2, 12), 1 / (0.2 + 0.8 / 12), 1e-12);
}

TEST(scale_math, karp_flatt_by_hand) {
  // Speedup 3 on 4 threads: (1/3 - 1/4) / (1 - 1/4) = 1/9.
  EXPECT_NEAR(karp_flatt(3, 4), 1.0 / 9, 1e-12);
  EXPECT_TRUE(std::isnan(karp_flatt(1, 1)));
  EXPECT_TRUE(std::isnan(karp_flatt(0, 4)));
}

TEST(scale_math, fit_is_least_squares_over_all_points) {
  // f = 0.1 at 2 threads and f = 0.3 at 4 threads: the fit weighs each by (1 - 1/p)^2.
  const std::vector<unsigned> p{1, 2, 4};
  const std::vector<double> t{1.0, 0.1 + 0.9 / 2, 0.3 + 0.7 / 4};
  const double x2 = 0.5, x4 = 0.75;
  EXPECT_NEAR(amdahl_fit(p, t), (x2 * x2 * 0.1 + x4 * x4 * 0.3) / (x2 * x2 + x4 * x4), 1e-12);
}

TEST(scale_math, fit_is_clamped_and_needs_two_thread_counts) {
  EXPECT_DOUBLE_EQ(amdahl_fit({1, 2}, {1.0, 2.0}), 1.0);   // slower with more threads
  EXPECT_DOUBLE_EQ(amdahl_fit({1, 2}, {1.0, 0.25}), 0.0);  // superlinear
  EXPECT_TRUE(std::isnan(amdahl_fit({1}, {1.0})));
  EXPECT_TRUE(std::isnan(amdahl_fit({2, 4}, {1.0, 0.5})));  // no 1-thread time
}

TEST(scale_math, bad_input_is_invalid_argument) {
  EXPECT_THROW(analyse_scaling({1, 2}, {1.0}), std::invalid_argument);
  EXPECT_THROW(analyse_scaling({1, 2}, {1.0, 0.0}), std::invalid_argument);
  EXPECT_THROW(analyse_scaling({2, 3}, {1.0, 0.5}), std::invalid_argument);
}

}  // namespace
