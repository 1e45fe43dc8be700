// brigade::parallel_for — run a loop body over an index or iterator range on the pool.
//
// parallel_for(first, last, f) calls f(i) for every i in [first, last); the range is split
// adaptively (lazy binary splitting), so irregular iterations balance without tuning. The
// iterator form parallel_for(it, end, f) calls f(*it). parallel_for_range hands the body whole
// pieces f(b, e) instead, for loops that vectorize or keep per-piece state. Each takes
// par_options last ({.grain, .pool}):
//
//   brigade::parallel_for(0, v.size(), [&](std::size_t i) { v[i] = i; });
//   brigade::parallel_for(0, n, f, {.grain = 1024, .pool = &mine});
#pragma once

#include <brigade/par/detail/lazy_split.hpp>
#include <brigade/par/par_options.hpp>
#include <brigade/pool/pool.hpp>

#include <concepts>
#include <cstddef>
#include <iterator>

namespace brigade {
namespace detail {

template <class F>
void index_loop(std::size_t first, std::size_t last, F& f, const par_options& opts) {
  check_range("parallel_for", first, last);
  scheduler& s = scheduler_of(opts.pool);
  auto body = [&f](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) f(i);
  };
  for_range(s, first, last, plan_for(opts.grain, last - first, s.size()), body);
}

template <class It, class F>
void element_loop(It first, It last, F& f, const par_options& opts) {
  if (last < first) check_range("parallel_for", 1, 0);
  const auto n = static_cast<std::size_t>(last - first);
  scheduler& s = scheduler_of(opts.pool);
  auto body = [&f, first](std::size_t b, std::size_t e) {
    for (It it = first + static_cast<std::iter_difference_t<It>>(b),
            end = first + static_cast<std::iter_difference_t<It>>(e);
         it != end; ++it)
      f(*it);
  };
  for_range(s, 0, n, plan_for(opts.grain, n, s.size()), body);
}

}  // namespace detail

/// Calls f(i) for every i in [first, last), in parallel, and returns when all calls are done.
///
/// Options (par_options, last): `.grain` (0: automatic) is the fewest iterations run or split
/// off at once, but for the piece ending the range; `.pool` (nullptr: the calling worker's
/// pool, else pool::global()) is where the loop runs.
///
/// Errors: std::invalid_argument if first > last. If calls throw, iterations not yet started
/// are skipped and one exception is rethrown: that of the lowest-indexed failing piece among
/// those that ran (exceptions in other pieces are destroyed).
/// Thread safety: calls run concurrently on different threads; f must not race with itself.
/// Complexity: last - first calls of f; O(P log n) splits on P workers for a balanced loop.
/// Blocking: from a thread outside the pool, the caller sleeps until the loop is done.
template <class F>
void parallel_for(std::size_t first, std::size_t last, F&& f, par_options opts = {}) {
  detail::index_loop(first, last, f, opts);
}

/// Calls f(*it) for every it in [first, last) of random-access iterators, in parallel.
/// Options, errors (std::invalid_argument if last is before first) and the rest: as the index
/// form.
template <std::random_access_iterator It, class F>
requires(!std::integral<It>) void parallel_for(It first, It last, F&& f, par_options opts = {}) {
  detail::element_loop(first, last, f, opts);
}

/// Calls f(b, e) on disjoint pieces [b, e) that together cover [first, last), in parallel.
/// Options, errors and splitting as parallel_for: with `.grain` N, every piece but the last has
/// at least N iterations.
template <class F>
void parallel_for_range(std::size_t first, std::size_t last, F&& f, par_options opts = {}) {
  detail::check_range("parallel_for_range", first, last);
  detail::scheduler& s = detail::scheduler_of(opts.pool);
  detail::for_range(s, first, last, detail::plan_for(opts.grain, last - first, s.size()), f);
}

}  // namespace brigade
