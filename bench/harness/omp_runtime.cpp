// OpenMP's side of the runtimes: its team of threads, started once.
#include "harness/runtimes.hpp"

#include <omp.h>

#include <algorithm>

namespace bench {

void start_omp(const std::vector<int>& thread_counts) {
  const int most = *std::max_element(thread_counts.begin(), thread_counts.end());
  omp_set_num_threads(most);
  int seen = 0;
#pragma omp parallel reduction(+ : seen)
  seen += 1;
  (void)seen;
}

}  // namespace bench
