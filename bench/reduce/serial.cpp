// The sum serially: one chunk over the whole array.
#include "reduce/reduce.hpp"

namespace bench::reduce {

double run_serial(const double* v, std::size_t n) {
  return sum_chunk(v, 0, n, 0.0);
}

}  // namespace bench::reduce
