// fib with OpenMP tasks: one task for the first call, the second inline, then taskwait.
#include "fib/fib.hpp"

#include <omp.h>

namespace bench::fib {
namespace {

long fib(int n) {
  if (n < 2) return n;
  long a = 0, b = 0;
#pragma omp task shared(a) firstprivate(n)
  a = fib(n - 1);
  b = fib(n - 2);
#pragma omp taskwait
  return a + b;
}

}  // namespace

long run_omp(int n, int threads) {
  omp_set_num_threads(threads);
  long result = 0;
#pragma omp parallel shared(result) firstprivate(n)
#pragma omp single
  result = fib(n);
  return result;
}

}  // namespace bench::fib
