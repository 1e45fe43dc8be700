// The thread pools of every implementation, one per thread count, created before any timing
// and kept for the whole process: brigade pools, oneTBB arenas, OpenMP's team.
#pragma once

#include <vector>

namespace brigade {
class pool;
}

namespace bench {

/// Creates the brigade pools and TBB arenas for `thread_counts` and starts every runtime's
/// threads once, so that no timed run pays for thread creation.
void start_runtimes(const std::vector<int>& thread_counts);

/// The brigade pool of `threads` workers (created on first use).
brigade::pool& brigade_pool(int threads);

/// Starts TBB's workers (tbb_runtime.cpp): a global_control allowing max(thread_counts)
/// threads, and an initialized arena per thread count. See tbb_arena.hpp.
void start_tbb(const std::vector<int>& thread_counts);

/// Starts OpenMP's team at the largest thread count (omp_runtime.cpp).
void start_omp(const std::vector<int>& thread_counts);

}  // namespace bench
