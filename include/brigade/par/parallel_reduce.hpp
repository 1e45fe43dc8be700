// brigade::parallel_reduce — fold a range into one value on the pool.
//
// The index form hands you whole pieces: chunk(b, e, acc) folds iterations [b, e) into acc
// (write a plain serial loop there: it vectorizes), and combine(x, y) joins the results of
// two neighbouring pieces. The iterator and range forms fold elements with one associative
// operation. Each takes par_options last ({.grain, .pool}):
//
//   double sum = brigade::parallel_reduce(v, 0.0, std::plus<>(), {.pool = &mine});
#pragma once

#include <brigade/par/detail/index_range.hpp>
#include <brigade/par/detail/lazy_split.hpp>
#include <brigade/par/par_options.hpp>
#include <brigade/pool/pool.hpp>

#include <concepts>
#include <cstddef>
#include <iterator>
#include <ranges>
#include <utility>

namespace brigade {
namespace detail {

template <class It, class T, class Op>
T reduce_elements(It first, std::size_t n, T identity, Op& op, const par_options& opts) {
  scheduler& s = scheduler_of(opts.pool);
  auto chunk = [&op, first](std::size_t b, std::size_t e, T acc) {
    for (It it = first + static_cast<std::iter_difference_t<It>>(b),
            end = first + static_cast<std::iter_difference_t<It>>(e);
         it != end; ++it)
      acc = op(std::move(acc), *it);
    return acc;
  };
  return reduce_range(s, 0, n, plan_of(opts, n, s.size()), identity, chunk, op);
}

}  // namespace detail

/// Reduces the integers [first, last): pieces are folded by chunk(b, e, acc) -> T starting
/// from a copy of `identity`, and neighbouring results are joined by combine(left, right) -> T,
/// always in index order (left before right), so combine need be associative but not
/// commutative. `identity` must be a neutral element of combine. b and e have the common type
/// of first and last (any integral types but bool), as in parallel_for.
///
/// Options (par_options, last): `.grain` (0: automatic) is the fewest iterations in one chunk
/// call, but for the piece ending the range; `.pool` (nullptr: the calling worker's pool, else
/// pool::global()) is where the reduction runs.
///
/// Errors: std::invalid_argument naming the values if first > last, or if one bound is
/// negative and the other has an unsigned type; exceptions from chunk or combine as in
/// parallel_for.
/// Thread safety: chunk and combine are called concurrently from several threads.
/// Complexity: last - first iterations in chunk calls; O(P log n) combine calls.
/// Blocking: from a thread outside the pool, the caller sleeps until the result is ready.
template <detail::loop_index First, detail::loop_index Last, class T, class Chunk, class Combine>
T parallel_reduce(First first, Last last, T identity, Chunk chunk, Combine combine,
                  par_options opts = {}) {
  const auto r = detail::checked_index_range("parallel_reduce", first, last);
  detail::scheduler& s = detail::scheduler_of(opts.pool);
  auto offsets = [&chunk, r](std::size_t b, std::size_t e, T acc) -> decltype(auto) {
    return chunk(r.index(b), r.index(e), std::move(acc));
  };
  return detail::reduce_range(s, 0, r.size, detail::plan_of(opts, r.size, s.size()), identity,
                              offsets, combine);
}

/// Folds the elements of [first, last) with op, an associative operation whose neutral
/// element is `identity`: the result equals identity op x0 op x1 op ... (grouped freely, in
/// order). Options: as the index form (`.grain` counts elements).
/// Errors: std::invalid_argument if last is before first; exceptions as in parallel_for.
template <std::random_access_iterator It, class T, class Op>
requires(!std::integral<It>) T
    parallel_reduce(It first, It last, T identity, Op op, par_options opts = {}) {
  return detail::reduce_elements(first, detail::checked_distance("parallel_reduce", first, last),
                                 std::move(identity), op, opts);
}

/// Folds the elements of a sized random-access range with op; as the iterator form.
template <std::ranges::random_access_range R, class T, class Op>
requires std::ranges::sized_range<R> T parallel_reduce(R&& range, T identity, Op op,
                                                       par_options opts = {}) {
  return detail::reduce_elements(std::ranges::begin(range),
                                 static_cast<std::size_t>(std::ranges::size(range)),
                                 std::move(identity), op, opts);
}

}  // namespace brigade
