// The arithmetic of `brigade scale`: speedup, efficiency, Karp–Flatt, and Amdahl's law fitted.
#pragma once

#include <vector>

namespace brigade::cli {

/// The median of xs (the mean of the middle two for an even count); NaN when empty.
double median(std::vector<double> xs);

/// What the K repetitions at one thread count measured: the median kept, the fastest, the
/// slowest.
struct repetitions {
  double median = 0, min = 0, max = 0;
  /// (max − min) / median, how far apart the repetitions lay relative to the median: a speedup
  /// computed from medians is not known better than this. 0 for one repetition.
  double spread() const noexcept { return (max - min) / median; }
};

/// The median, min and max of times; NaN in each when times is empty.
repetitions summarize(const std::vector<double>& times);

/// The Karp–Flatt metric, the serial fraction measured at p threads:
/// e = (1/S − 1/p) / (1 − 1/p). NaN for p < 2 or a speedup ≤ 0.
double karp_flatt(double speedup, double p);

/// Amdahl's law: the speedup at p threads of a program whose serial fraction is f,
/// 1 / (f + (1 − f) / p).
double amdahl_speedup(double f, double p);

/// The serial fraction f that fits T_p = T_1 (f + (1 − f) / p) best in the least-squares sense,
/// given times seconds[i] at threads[i]; T_1 is the time at 1 thread, which must be present.
/// Clamped to [0, 1]. NaN when there is no 1-thread time or no time at 2 threads or more.
double amdahl_fit(const std::vector<unsigned>& threads, const std::vector<double>& seconds);

/// Everything `brigade scale` reports, per thread count in the order given.
struct scaling {
  std::vector<unsigned> threads;
  std::vector<double> seconds;     // median wall time
  std::vector<double> speedup;     // T_1 / T_p
  std::vector<double> efficiency;  // speedup / p
  std::vector<double> karp_flatt;  // NaN at p = 1
  double serial_fraction = 0;      // Amdahl's f, fitted; NaN without a time at p ≥ 2
};

/// Speedup, efficiency and Karp–Flatt per point, and the Amdahl fit.
/// std::invalid_argument when the lengths differ, a time is not positive, or no point has 1
/// thread.
scaling analyse_scaling(const std::vector<unsigned>& threads, const std::vector<double>& seconds);

}  // namespace brigade::cli
