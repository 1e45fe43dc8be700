// brigade::parallel_for — run a loop body over an index or iterator range on the pool.
//
// parallel_for(first, last, f) calls f(i) for every i in [first, last); the range is split
// adaptively (lazy binary splitting), so irregular iterations balance without tuning. Give a
// grain to forbid pieces smaller than it (when one iteration is tiny and you know better).
// parallel_for_range hands the body whole pieces f(b, e) instead, for loops that vectorize or
// keep per-piece state. The iterator form calls f(*it).
#pragma once

#include <brigade/par/detail/lazy_split.hpp>
#include <brigade/pool/pool.hpp>

#include <concepts>
#include <cstddef>
#include <iterator>

namespace brigade {
namespace detail {

template <class F>
void index_loop(scheduler& s, std::size_t first, std::size_t last, split_plan plan, F& f) {
  auto body = [&f](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) f(i);
  };
  for_range(s, first, last, plan, body);
}

}  // namespace detail

/// Calls f(i) for every i in [first, last), in parallel, on the calling worker's pool or on
/// pool::global(); returns when all calls are done.
///
/// Errors: std::invalid_argument if first > last. If calls throw, iterations not yet started
/// are skipped and one exception is rethrown: that of the lowest-indexed failing piece among
/// those that ran (exceptions in other pieces are destroyed).
/// Thread safety: calls run concurrently on different threads; f must not race with itself.
/// Complexity: last - first calls of f; O(P log n) splits on P workers for a balanced loop.
/// Blocking: from a thread outside the pool, the caller sleeps until the loop is done.
template <class F>
void parallel_for(std::size_t first, std::size_t last, F&& f) {
  detail::check_range("parallel_for", first, last);
  detail::scheduler& s = detail::ambient_scheduler();
  detail::index_loop(s, first, last, detail::auto_plan(last - first, s.size()), f);
}

/// As parallel_for(first, last, f), never running or splitting off fewer than `grain`
/// iterations at once (except the last piece). std::invalid_argument if grain is 0.
template <class F>
void parallel_for(std::size_t first, std::size_t last, std::size_t grain, F&& f) {
  detail::check_range("parallel_for", first, last);
  detail::check_grain("parallel_for", grain);
  detail::index_loop(detail::ambient_scheduler(), first, last, detail::grain_plan(grain), f);
}

/// parallel_for on pool p.
template <class F>
void parallel_for(pool& p, std::size_t first, std::size_t last, F&& f) {
  detail::check_range("parallel_for", first, last);
  detail::index_loop(p.scheduler(), first, last, detail::auto_plan(last - first, p.size()), f);
}

/// parallel_for with a grain on pool p.
template <class F>
void parallel_for(pool& p, std::size_t first, std::size_t last, std::size_t grain, F&& f) {
  detail::check_range("parallel_for", first, last);
  detail::check_grain("parallel_for", grain);
  detail::index_loop(p.scheduler(), first, last, detail::grain_plan(grain), f);
}

namespace detail {

template <class It, class F>
void for_elements(scheduler& s, It first, It last, F& f) {
  if (last < first) check_range("parallel_for", 1, 0);
  const auto n = static_cast<std::size_t>(last - first);
  auto body = [&](std::size_t b, std::size_t e) {
    for (It it = first + static_cast<std::iter_difference_t<It>>(b),
            end = first + static_cast<std::iter_difference_t<It>>(e);
         it != end; ++it)
      f(*it);
  };
  for_range(s, 0, n, auto_plan(n, s.size()), body);
}

}  // namespace detail

/// Calls f(*it) for every it in [first, last), in parallel. Same semantics as the index form.
template <std::random_access_iterator It, class F>
requires(!std::integral<It>) void parallel_for(It first, It last, F&& f) {
  detail::for_elements(detail::ambient_scheduler(), first, last, f);
}

/// The iterator form on pool p.
template <std::random_access_iterator It, class F>
requires(!std::integral<It>) void parallel_for(pool& p, It first, It last, F&& f) {
  detail::for_elements(p.scheduler(), first, last, f);
}

/// Calls f(b, e) on disjoint pieces [b, e) that together cover [first, last), in parallel.
/// Same errors and splitting as parallel_for.
template <class F>
void parallel_for_range(std::size_t first, std::size_t last, F&& f) {
  detail::check_range("parallel_for_range", first, last);
  detail::scheduler& s = detail::ambient_scheduler();
  detail::for_range(s, first, last, detail::auto_plan(last - first, s.size()), f);
}

/// parallel_for_range with pieces of at least `grain` iterations (but the last).
template <class F>
void parallel_for_range(std::size_t first, std::size_t last, std::size_t grain, F&& f) {
  detail::check_range("parallel_for_range", first, last);
  detail::check_grain("parallel_for_range", grain);
  detail::for_range(detail::ambient_scheduler(), first, last, detail::grain_plan(grain), f);
}

/// parallel_for_range on pool p.
template <class F>
void parallel_for_range(pool& p, std::size_t first, std::size_t last, F&& f) {
  detail::check_range("parallel_for_range", first, last);
  detail::for_range(p.scheduler(), first, last, detail::auto_plan(last - first, p.size()), f);
}

/// parallel_for_range with a grain on pool p.
template <class F>
void parallel_for_range(pool& p, std::size_t first, std::size_t last, std::size_t grain, F&& f) {
  detail::check_range("parallel_for_range", first, last);
  detail::check_grain("parallel_for_range", grain);
  detail::for_range(p.scheduler(), first, last, detail::grain_plan(grain), f);
}

}  // namespace brigade
