// brigade::parallel_sort on the pool of the requested size.
#include "harness/runtimes.hpp"
#include "sort/sort.hpp"

#include <brigade/par/parallel_sort.hpp>
#include <brigade/pool/pool.hpp>

#include <functional>

namespace bench::sort {

void run_brigade(keys& v, int threads) {
  brigade::parallel_sort(v.begin(), v.end(), {.pool = &brigade_pool(threads)});
}

void run_brigade_greater(keys& v, int threads) {
  brigade::parallel_sort(v.begin(), v.end(), std::greater<>(), {.pool = &brigade_pool(threads)});
}

}  // namespace bench::sort
