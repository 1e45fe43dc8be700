// oneTBB's side of the runtimes: the thread limit and one arena per thread count.
#include "harness/runtimes.hpp"
#include "harness/tbb_arena.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <map>
#include <memory>

namespace bench {

tbb::task_arena& tbb_arena(int threads) {
  static std::map<int, std::unique_ptr<tbb::task_arena>> arenas;
  std::unique_ptr<tbb::task_arena>& a = arenas[threads];
  if (!a) {
    a = std::make_unique<tbb::task_arena>(threads);
    a->initialize();
  }
  return *a;
}

void start_tbb(const std::vector<int>& thread_counts) {
  // By default TBB has hardware_concurrency - 1 workers in all; allow as many as the largest
  // arena needs (a run with more threads than cores is then oversubscribed, as it is for the
  // other runtimes).
  const int most = *std::max_element(thread_counts.begin(), thread_counts.end());
  static tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                   static_cast<std::size_t>(most));
  for (int t : thread_counts)
    tbb_arena(t).execute([] { tbb::parallel_for(0, 1 << 16, [](int) {}); });
}

}  // namespace bench
