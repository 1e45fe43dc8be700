// The oneTBB arena a TBB implementation runs in: its work goes inside tbb_arena(n).execute(...).
#pragma once

#include <oneapi/tbb/task_arena.h>

namespace bench {

/// The arena of `threads` slots (the calling thread plus threads - 1 TBB workers), created on
/// first use; start_tbb creates it up front.
tbb::task_arena& tbb_arena(int threads);

}  // namespace bench
