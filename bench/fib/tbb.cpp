// fib with tbb::parallel_invoke, oneTBB's fork-join for a fixed number of calls.
#include "fib/fib.hpp"
#include "harness/tbb_arena.hpp"

#include <oneapi/tbb/parallel_invoke.h>

namespace bench::fib {
namespace {

long fib(int n) {
  if (n < 2) return n;
  long a = 0, b = 0;
  tbb::parallel_invoke([&a, n] { a = fib(n - 1); }, [&b, n] { b = fib(n - 2); });
  return a + b;
}

}  // namespace

long run_tbb(int n, int threads) {
  return tbb_arena(threads).execute([n] { return fib(n); });
}

}  // namespace bench::fib
