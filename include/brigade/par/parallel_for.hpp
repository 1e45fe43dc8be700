// brigade::parallel_for — run a loop body over an index, iterator or element range on the pool.
//
// parallel_for(first, last, f) calls f(i) for every i in [first, last); the range is split
// adaptively (lazy binary splitting), so irregular iterations balance without tuning. The
// iterator form parallel_for(it, end, f) and the range form parallel_for(v, f) call f(x) for
// each element x. parallel_for_range hands the body whole pieces f(b, e) instead, for loops
// that vectorize or keep per-piece state. Each takes par_options last ({.grain, .pool}):
//
//   brigade::parallel_for(0, v.size(), [&](std::size_t i) { v[i] = i; });
//   brigade::parallel_for(v, [](double& x) { x *= 2; }, {.grain = 1024, .pool = &mine});
#pragma once

#include <brigade/par/detail/index_range.hpp>
#include <brigade/par/detail/lazy_split.hpp>
#include <brigade/par/par_options.hpp>
#include <brigade/pool/pool.hpp>

#include <concepts>
#include <cstddef>
#include <iterator>
#include <ranges>

namespace brigade {
namespace detail {

template <class C, class F>
void index_loop(const index_range<C>& r, F& f, const par_options& opts) {
  scheduler& s = scheduler_of(opts.pool);
  auto body = [&f, r](std::size_t b, std::size_t e) {
    for (std::size_t k = b; k < e; ++k) f(r.index(k));
  };
  for_range(s, 0, r.size, plan_of(opts, r.size, s.size()), body);
}

template <class It, class F>
void element_loop(It first, std::size_t n, F& f, const par_options& opts) {
  scheduler& s = scheduler_of(opts.pool);
  auto body = [&f, first](std::size_t b, std::size_t e) {
    for (It it = first + static_cast<std::iter_difference_t<It>>(b),
            end = first + static_cast<std::iter_difference_t<It>>(e);
         it != end; ++it)
      f(*it);
  };
  for_range(s, 0, n, plan_of(opts, n, s.size()), body);
}

}  // namespace detail

/// Calls f(i) for every integer i in [first, last), in parallel, and returns when all calls
/// are done. first and last may have different integral types (not bool): i has their common
/// type, so parallel_for(-5, 5, f) calls f(-5) .. f(4) and parallel_for(0, v.size(), f) passes
/// std::size_t.
///
/// Options (par_options, last): `.grain` (0: automatic) is the fewest iterations run or split
/// off at once, but for the piece ending the range; `.pool` (nullptr: the calling worker's
/// pool, else pool::global()) is where the loop runs.
///
/// Errors: std::invalid_argument naming the values if first > last, or if one bound is
/// negative and the other has an unsigned type (their common type is unsigned and cannot hold
/// it). If calls throw, iterations not yet started are skipped and one exception is rethrown:
/// that of the lowest-indexed failing piece among those that ran (others are destroyed).
/// Thread safety: calls run concurrently on different threads; f must not race with itself.
/// Complexity: last - first calls of f; O(P log n) splits on P workers for a balanced loop.
/// Blocking: from a thread outside the pool, the caller sleeps until the loop is done.
template <detail::loop_index First, detail::loop_index Last, class F>
void parallel_for(First first, Last last, F&& f, par_options opts = {}) {
  detail::index_loop(detail::checked_index_range("parallel_for", first, last), f, opts);
}

/// Calls f(*it) for every it in [first, last) of random-access iterators, in parallel.
/// Options, errors (std::invalid_argument if last is before first) and the rest: as the index
/// form.
template <std::random_access_iterator It, class F>
requires(!std::integral<It>) void parallel_for(It first, It last, F&& f, par_options opts = {}) {
  detail::element_loop(first, detail::checked_distance("parallel_for", first, last), f, opts);
}

/// Calls f(x) for every element x of a sized random-access range (a vector, an array, a span),
/// by reference (f may modify it), in parallel. Options and the rest: as the index form.
template <std::ranges::random_access_range R, class F>
requires std::ranges::sized_range<R>
void parallel_for(R&& range, F&& f, par_options opts = {}) {
  detail::element_loop(std::ranges::begin(range),
                       static_cast<std::size_t>(std::ranges::size(range)), f, opts);
}

/// Calls f(b, e) on disjoint pieces [b, e) that together cover [first, last), in parallel; b
/// and e have the common type of first and last. Options, errors and splitting as parallel_for:
/// with `.grain` N, every piece but the last has at least N iterations.
template <detail::loop_index First, detail::loop_index Last, class F>
void parallel_for_range(First first, Last last, F&& f, par_options opts = {}) {
  const auto r = detail::checked_index_range("parallel_for_range", first, last);
  detail::scheduler& s = detail::scheduler_of(opts.pool);
  auto body = [&f, r](std::size_t b, std::size_t e) { f(r.index(b), r.index(e)); };
  detail::for_range(s, 0, r.size, detail::plan_of(opts, r.size, s.size()), body);
}

}  // namespace brigade
