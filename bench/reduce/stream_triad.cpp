// STREAM's triad kernel and first-touch fill, with OpenMP as STREAM itself is written.
#include "reduce/reduce.hpp"

#include <omp.h>

namespace bench::reduce {

void stream_triad(double* a, const double* b, const double* c, double s, std::size_t n,
                  int threads) {
  omp_set_num_threads(threads);
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

void parallel_fill(double* v, std::size_t n, double (*f)(std::size_t)) {
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) v[i] = f(i);
}

}  // namespace bench::reduce
