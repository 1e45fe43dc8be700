// brigade::parallel_sort — sort a random-access range on the pool.
//
// parallel_sort(first, last[, comp][, options]) and parallel_sort(range[, comp][, options])
// sort like std::sort (not stably), in parallel; the options are sort_options ({.pool = &p}).
// Which algorithm runs depends on the input:
//
// - Integers in contiguous memory (a vector, an array or a pointer range of an integral type
//   of 8 to 64 bits, bool excluded) in their natural order (no comparator, std::less<>,
//   std::less<T> or std::ranges::less): a parallel radix sort (detail/radix_sort.hpp). It
//   never compares: it moves the keys through memory about twice (MSD passes until the pieces
//   fit in the cache) and finishes each piece with LSD passes inside the cache. Bytes that all
//   keys share cost nothing, so small numbers in wide types sort faster. It runs on a
//   one-worker pool too, where it still beats std::sort.
// - Anything else, integers with any other comparator (std::greater<>, a lambda) included: a
//   parallel merge sort (detail/merge_sort.hpp): std::sort on a few leaves per worker, then
//   pairwise merges that are themselves cut into parallel pieces. On a one-worker pool,
//   std::sort on that worker instead.
// - Fewer than serial_sort_cutoff (2^14) elements: std::sort on the calling thread, which is
//   faster than waking workers.
//
// Both parallel algorithms take a scratch buffer of last - first elements. If it cannot be
// allocated, the radix sort falls back to the merge sort, and the merge sort to std::sort.
#pragma once

#include <brigade/par/detail/index_range.hpp>
#include <brigade/par/detail/merge_sort.hpp>
#include <brigade/par/detail/radix_sort.hpp>
#include <brigade/par/par_options.hpp>
#include <brigade/pool/pool.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <ranges>
#include <type_traits>

namespace brigade {

/// Options of parallel_sort, passed last: `{.pool = &p}`. The sort chooses its own pieces (see
/// the top of this file), so there is no grain.
///
/// Thread safety: a plain value; the sort reads it once, before any work starts.
struct sort_options {
  /// nullptr (the default): the calling worker's pool, else pool::global(). Otherwise the sort
  /// runs on *pool, which must outlive the call.
  brigade::pool* pool = nullptr;
};

namespace detail {

/// Below this many elements std::sort beats starting the workers.
inline constexpr std::size_t serial_sort_cutoff = 1 << 14;

/// Whether Compare orders T as operator< does (so that a radix sort may replace it).
template <class Compare, class T>
inline constexpr bool natural_order =
    std::is_same_v<Compare, std::less<>> || std::is_same_v<Compare, std::less<T>> ||
    std::is_same_v<Compare, std::ranges::less>;

/// Whether sorting [It, It) by Compare takes the radix sort.
template <class It, class Compare>
concept radix_sortable = std::contiguous_iterator<It> && radix_key<std::iter_value_t<It>> &&
    natural_order<Compare, std::iter_value_t<It>>;

/// Every parallel_sort overload: checks the range and picks the algorithm (see the top).
template <class It, class Compare>
void sort_range(scheduler& s, It first, It last, Compare& comp) {
  const std::size_t n = checked_distance("parallel_sort", first, last);
  if (n < serial_sort_cutoff) {
    std::sort(first, last, comp);
    return;
  }
  if constexpr (radix_sortable<It, Compare>) {
    if (radix_sort(s, std::to_address(first), n)) return;
  }
  if (s.size() > 1 && merge_sort(s, first, n, comp)) return;
  auto serial = [&] { std::sort(first, last, comp); };
  run_on(s, serial);
}

}  // namespace detail

/// Sorts [first, last) into ascending order by comp, a strict weak ordering (default
/// std::less<>), in parallel; returns when the range is sorted. Not stable: the order of
/// equivalent elements is unspecified. The value type must be move-constructible and
/// move-assignable; it need not be default-constructible or copyable. Which algorithm runs
/// when: see the top of this file.
///
/// Options (sort_options, last): `.pool` (nullptr: the calling worker's pool, else
/// pool::global()) is where the sort runs, except that fewer than serial_sort_cutoff elements
/// are sorted on the calling thread. Without a comparator: parallel_sort(first, last,
/// {.pool = &p}).
///
/// Thread safety: comp (and copies of it) is called concurrently from several threads, and the
/// elements are moved between threads. Nothing else may access the range meanwhile.
/// Errors: std::invalid_argument if last is before first. If comp or a move throws, work not
/// yet started is skipped, one of the exceptions reaches the caller, and the range is left
/// holding valid but unspecified values (some may be moved-from: elements can be lost). No
/// std::bad_alloc for the scratch buffer: the sort falls back as described above.
/// Complexity: merge sort: O(n log n) comparisons and moves, about 1/P of that time on P
/// workers. Radix sort: O(n) per byte that differs among the keys, no comparisons. Both:
/// n elements of scratch memory.
/// Blocking: from a thread outside the pool, the caller sleeps until the sort is done.
template <std::random_access_iterator It, class Compare = std::less<>>
void parallel_sort(It first, It last, Compare comp = {}, sort_options opts = {}) {
  detail::sort_range(detail::scheduler_of(opts.pool), first, last, comp);
}

/// parallel_sort(first, last) with options and no comparator: by operator<.
template <std::random_access_iterator It>
void parallel_sort(It first, It last, sort_options opts) {
  std::less<> comp;
  detail::sort_range(detail::scheduler_of(opts.pool), first, last, comp);
}

/// Sorts a sized random-access range (a vector, an array, a span, a deque) in place; as the
/// iterator form.
template <std::ranges::random_access_range R, class Compare = std::less<>>
requires std::ranges::sized_range<R>
void parallel_sort(R&& range, Compare comp = {}, sort_options opts = {}) {
  auto first = std::ranges::begin(range);
  const auto n = static_cast<std::ranges::range_difference_t<R>>(std::ranges::size(range));
  detail::sort_range(detail::scheduler_of(opts.pool), first, first + n, comp);
}

/// parallel_sort(range) with options and no comparator: by operator<.
template <std::ranges::random_access_range R>
requires std::ranges::sized_range<R>
void parallel_sort(R&& range, sort_options opts) {
  std::less<> comp;
  auto first = std::ranges::begin(range);
  const auto n = static_cast<std::ranges::range_difference_t<R>>(std::ranges::size(range));
  detail::sort_range(detail::scheduler_of(opts.pool), first, first + n, comp);
}

}  // namespace brigade
