// fib with brigade::join: the second call is offered to thieves, the first runs here.
#include "fib/fib.hpp"
#include "harness/runtimes.hpp"

#include <brigade/pool/join.hpp>
#include <brigade/pool/pool.hpp>

namespace bench::fib {
namespace {

long fib(int n) {
  if (n < 2) return n;
  auto [a, b] = brigade::join([n] { return fib(n - 1); }, [n] { return fib(n - 2); });
  return a + b;
}

}  // namespace

long run_brigade(int n, int threads) {
  return brigade_pool(threads).run([n] { return fib(n); });
}

}  // namespace bench::fib
