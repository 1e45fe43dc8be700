// brigade::par_options — how a parallel loop runs: its grain and its pool, given last.
//
// Every loop-shaped algorithm (parallel_for, parallel_for_range, parallel_reduce, parallel_map,
// parallel_transform) takes one as its last argument, with designated initializers:
//
//   brigade::parallel_for(0, n, f);                                // automatic, ambient pool
//   brigade::parallel_for(0, n, f, {.grain = 64});                 // pieces of at least 64
//   brigade::parallel_for(0, n, f, {.grain = 64, .pool = &mine});  // and on pool `mine`
//
// parallel_sort and the scans choose their own pieces: they take sort_options and scan_options,
// which have a pool and no grain.
#pragma once

#include <brigade/par/detail/lazy_split.hpp>
#include <brigade/pool/pool.hpp>

#include <cstddef>

namespace brigade {

/// Options of a parallel loop, passed last: `{.grain = 64, .pool = &p}`. The defaults are what
/// the plain call does.
///
/// Thread safety: a plain value; the algorithm reads it once, before any work starts.
struct par_options {
  /// 0 (the default): split lazily, as finely as load imbalance demands, down to single
  /// iterations. N > 0: never run or split off fewer than N iterations at once, except for the
  /// piece that ends the range. Give one when an iteration is so small that you know better.
  std::size_t grain = 0;

  /// nullptr (the default): the ambient pool, i.e. the calling worker's pool, else
  /// pool::global(). Otherwise the loop runs on *pool; called from a thread that is not one of
  /// its workers, the caller sleeps until the loop is done. The pool must outlive the call.
  brigade::pool* pool = nullptr;

  /// false (the default): pieces are cut where load imbalance demands, so they differ from run
  /// to run. true: every piece longer than the grain (0: about a 1024th of the range) is halved
  /// at its midpoint whatever the schedule, and a reduction folds each leaf from the identity
  /// and combines the halves of each split: the pieces and the combine tree depend only on the
  /// range and the grain, so a floating-point sum is bit-identical at every thread count and on
  /// every run (OpenMP's and oneTBB's plain reductions are not). Costs one fork per split.
  bool deterministic = false;
};

namespace detail {

/// The scheduler an algorithm given `p` (nullptr: the ambient pool) runs on.
inline scheduler& scheduler_of(brigade::pool* p) {
  return p != nullptr ? pool_access::of(*p) : ambient_scheduler();
}

/// How a loop of n iterations given `o` is split on `threads` workers.
inline split_plan plan_of(const par_options& o, std::size_t n, std::size_t threads) noexcept {
  return o.deterministic ? fixed_plan(o.grain, n) : plan_for(o.grain, n, threads);
}

}  // namespace detail
}  // namespace brigade
