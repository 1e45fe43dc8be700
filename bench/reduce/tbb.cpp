// The sum with tbb::parallel_reduce (functional form, default auto_partitioner).
#include "harness/tbb_arena.hpp"
#include "reduce/reduce.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_reduce.h>

#include <functional>

namespace bench::reduce {

double run_tbb(const double* v, std::size_t n, int threads) {
  return tbb_arena(threads).execute([&] {
    return tbb::parallel_reduce(
        tbb::blocked_range<std::size_t>(0, n), 0.0,
        [v](const tbb::blocked_range<std::size_t>& r, double acc) {
          return sum_chunk(v, r.begin(), r.end(), acc);
        },
        std::plus<>());
  });
}

}  // namespace bench::reduce
