// Speedup, efficiency, the Karp–Flatt metric and the least-squares fit of Amdahl's law.
#include "scale_math.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>

namespace brigade::cli {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// The index of the 1-thread point, or -1.
long one_thread_index(const std::vector<unsigned>& threads) {
  const auto it = std::find(threads.begin(), threads.end(), 1U);
  return it == threads.end() ? -1 : static_cast<long>(it - threads.begin());
}

}  // namespace

double median(std::vector<double> xs) {
  if (xs.empty()) return nan;
  std::sort(xs.begin(), xs.end());
  const std::size_t n = xs.size();
  return n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

repetitions summarize(const std::vector<double>& times) {
  if (times.empty()) return {nan, nan, nan};
  const auto [lo, hi] = std::minmax_element(times.begin(), times.end());
  return {median(times), *lo, *hi};
}

double karp_flatt(double speedup, double p) {
  if (p < 2 || !(speedup > 0)) return nan;
  return (1 / speedup - 1 / p) / (1 - 1 / p);
}

double amdahl_speedup(double f, double p) {
  return 1 / (f + (1 - f) / p);
}

double amdahl_fit(const std::vector<unsigned>& threads, const std::vector<double>& seconds) {
  const long one = one_thread_index(threads);
  if (one < 0 || threads.size() != seconds.size()) return nan;
  const double t1 = seconds[static_cast<std::size_t>(one)];
  // T_p / T_1 − 1/p = f (1 − 1/p) is linear in f: minimize Σ (y − f x)² over the points, so
  // f = Σ x y / Σ x². (Dividing by T_1 scales every residual alike: the same f.)
  double xy = 0, xx = 0;
  for (std::size_t i = 0; i < threads.size(); ++i) {
    const double p = threads[i];
    if (p < 2) continue;
    const double x = 1 - 1 / p;
    const double y = seconds[i] / t1 - 1 / p;
    xy += x * y;
    xx += x * x;
  }
  if (xx == 0) return nan;
  return std::clamp(xy / xx, 0.0, 1.0);
}

scaling analyse_scaling(const std::vector<unsigned>& threads, const std::vector<double>& seconds) {
  if (threads.size() != seconds.size())
    throw std::invalid_argument("analyse_scaling: " + std::to_string(threads.size()) +
                                " thread counts but " + std::to_string(seconds.size()) + " times");
  for (double s : seconds)
    if (!(s > 0))
      throw std::invalid_argument("analyse_scaling: a time is not positive: " + std::to_string(s));
  const long one = one_thread_index(threads);
  if (one < 0) throw std::invalid_argument("analyse_scaling: no time measured at 1 thread");
  const double t1 = seconds[static_cast<std::size_t>(one)];

  scaling r;
  r.threads = threads;
  r.seconds = seconds;
  for (std::size_t i = 0; i < threads.size(); ++i) {
    const double p = threads[i];
    const double s = t1 / seconds[i];
    r.speedup.push_back(s);
    r.efficiency.push_back(s / p);
    r.karp_flatt.push_back(karp_flatt(s, p));
  }
  r.serial_fraction = amdahl_fit(threads, seconds);
  return r;
}

}  // namespace brigade::cli
