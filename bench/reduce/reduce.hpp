// Sum of a large array of doubles (memory-bound), next to a STREAM triad over arrays of the
// same length measured in the same process: how close does a reduction get to the machine's
// bandwidth?
#pragma once

#include "harness/suite.hpp"

#include <cstddef>

namespace bench::reduce {

/// Sums v[b, e) onto acc with four independent accumulators, so the loop is bound by memory
/// and not by the latency of one chain of additions: the chunk every implementation folds.
inline double sum_chunk(const double* v, std::size_t b, std::size_t e, double acc) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::size_t i = b;
  for (; i + 4 <= e; i += 4) {
    s0 += v[i];
    s1 += v[i + 1];
    s2 += v[i + 2];
    s3 += v[i + 3];
  }
  for (; i < e; ++i) s0 += v[i];
  return acc + ((s0 + s1) + (s2 + s3));
}

double run_serial(const double* v, std::size_t n);
double run_brigade(const double* v, std::size_t n, int threads);  // parallel_reduce, chunk form
double run_tbb(const double* v, std::size_t n, int threads);      // tbb::parallel_reduce
double run_omp(const double* v, std::size_t n, int threads);      // parallel for simd reduction(+)

/// STREAM's triad, a[i] = b[i] + s * c[i], as STREAM runs it: OpenMP, static schedule.
void stream_triad(double* a, const double* b, const double* c, double s, std::size_t n,
                  int threads);

/// Fills v[0, n) with f(i) in parallel (OpenMP, static), so pages are touched the way the
/// triad touches them.
void parallel_fill(double* v, std::size_t n, double (*f)(std::size_t));

/// 2^27 doubles (1 GiB) for the sum and for each of the triad's three arrays (2^22 with --quick).
group make(const config& c);

}  // namespace bench::reduce
