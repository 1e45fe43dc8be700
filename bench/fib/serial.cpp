// fib serially: the same recursion without forks, the baseline for the cost of a fork.
#include "fib/fib.hpp"

namespace bench::fib {

long run_serial(int n) {
  if (n < 2) return n;
  return run_serial(n - 1) + run_serial(n - 2);
}

long forks(int n) {
  long a = 0, b = 1;  // fib(0), fib(1)
  for (int i = 0; i < n + 1; ++i) {
    const long next = a + b;
    a = b;
    b = next;
  }
  return a - 1;  // a = fib(n + 1)
}

}  // namespace bench::fib
