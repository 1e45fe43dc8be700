// The sum with brigade::parallel_reduce, chunk form, no grain.
#include "harness/runtimes.hpp"
#include "reduce/reduce.hpp"

#include <brigade/par/parallel_reduce.hpp>
#include <brigade/pool/pool.hpp>

namespace bench::reduce {

double run_brigade(const double* v, std::size_t n, int threads) {
  return brigade::parallel_reduce(
      0, n, 0.0, [v](std::size_t b, std::size_t e, double acc) { return sum_chunk(v, b, e, acc); },
      [](double x, double y) { return x + y; }, {.pool = &brigade_pool(threads)});
}

}  // namespace bench::reduce
