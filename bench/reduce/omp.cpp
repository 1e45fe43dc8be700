// The sum with OpenMP: `parallel for simd reduction(+:sum)`, static schedule. The simd clause
// lets the compiler reorder the additions (vectorize), as sum_chunk's four accumulators do.
#include "reduce/reduce.hpp"

#include <omp.h>

namespace bench::reduce {

double run_omp(const double* v, std::size_t n, int threads) {
  omp_set_num_threads(threads);
  double sum = 0;
#pragma omp parallel for simd reduction(+ : sum) schedule(static)
  for (std::size_t i = 0; i < n; ++i) sum += v[i];
  return sum;
}

}  // namespace bench::reduce
