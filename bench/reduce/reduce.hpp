// Sum of a large array of doubles (memory-bound), next to a STREAM triad over arrays of the
// same length measured in the same process: how close does a reduction get to the machine's
// bandwidth?
#pragma once

#include "harness/suite.hpp"

#include <cstddef>

namespace bench::reduce {

/// Sums v[b, e) onto acc with four independent accumulators, so the loop is bound by memory
/// and not by the latency of one chain of additions: the chunk every implementation folds.
/// Indexed from the piece's own base: GCC 12 vectorizes the four accumulators (two 2-wide adds)
/// in every context then, where a loop indexed from `b` stayed scalar once inlined into a
/// splitting loop (bench/RESULTS.md, "reduce").
inline double sum_chunk(const double* v, std::size_t b, std::size_t e, double acc) {
  const double* p = v + b;
  const std::size_t n = e - b;
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
  }
  for (; i < n; ++i) s0 += p[i];
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
