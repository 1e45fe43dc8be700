// tbb::parallel_sort in an arena of the requested size.
#include "harness/tbb_arena.hpp"
#include "sort/sort.hpp"

#include <oneapi/tbb/parallel_sort.h>

#include <functional>

namespace bench::sort {

void run_tbb(keys& v, int threads) {
  tbb_arena(threads).execute([&v] { tbb::parallel_sort(v.begin(), v.end()); });
}

void run_tbb_greater(keys& v, int threads) {
  tbb_arena(threads).execute([&v] { tbb::parallel_sort(v.begin(), v.end(), std::greater<>()); });
}

}  // namespace bench::sort
