// brigade's pools, one per thread count, and the start-up of every runtime.
#include "harness/runtimes.hpp"

#include <brigade/par/parallel_for.hpp>
#include <brigade/pool/pool.hpp>

#include <algorithm>
#include <map>
#include <memory>

namespace bench {

brigade::pool& brigade_pool(int threads) {
  static std::map<int, std::unique_ptr<brigade::pool>> pools;
  std::unique_ptr<brigade::pool>& p = pools[threads];
  if (!p) p = std::make_unique<brigade::pool>(static_cast<std::size_t>(threads));
  return *p;
}

void start_runtimes(const std::vector<int>& thread_counts) {
  for (int t : thread_counts) {
    // A loop long enough to be split wakes every worker once.
    brigade::parallel_for(0, 1 << 16, [](std::size_t) {}, {.pool = &brigade_pool(t)});
  }
  start_tbb(thread_counts);
  start_omp(thread_counts);
}

}  // namespace bench
