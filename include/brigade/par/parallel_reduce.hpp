// brigade::parallel_reduce — fold a range into one value on the pool.
//
// The index form hands you whole pieces: chunk(b, e, acc) folds iterations [b, e) into acc
// (write a plain serial loop there: it vectorizes), and combine(x, y) joins the results of
// two neighbouring pieces. The iterator form folds elements with one associative operation.
#pragma once

#include <brigade/par/detail/lazy_split.hpp>
#include <brigade/pool/pool.hpp>

#include <concepts>
#include <cstddef>
#include <iterator>
#include <utility>

namespace brigade {

/// Reduces [first, last): pieces are folded by chunk(b, e, acc) -> T starting from a copy of
/// `identity`, and neighbouring results are joined by combine(left, right) -> T, always in
/// index order (left before right), so combine need be associative but not commutative.
/// `identity` must be a neutral element of combine.
///
/// Errors: std::invalid_argument if first > last; exceptions as in parallel_for.
/// Complexity: last - first iterations in chunk calls; O(P log n) combine calls.
/// Blocking: from a thread outside the pool, the caller sleeps until the result is ready.
template <class T, class Chunk, class Combine>
T parallel_reduce(std::size_t first, std::size_t last, T identity, Chunk chunk, Combine combine) {
  detail::check_range("parallel_reduce", first, last);
  detail::scheduler& s = detail::ambient_scheduler();
  return detail::reduce_range(s, first, last, detail::auto_plan(last - first, s.size()), identity,
                              chunk, combine);
}

/// parallel_reduce with pieces of at least `grain` iterations. std::invalid_argument if grain
/// is 0.
template <class T, class Chunk, class Combine>
T parallel_reduce(std::size_t first, std::size_t last, std::size_t grain, T identity, Chunk chunk,
                  Combine combine) {
  detail::check_range("parallel_reduce", first, last);
  detail::check_grain("parallel_reduce", grain);
  return detail::reduce_range(detail::ambient_scheduler(), first, last, detail::grain_plan(grain),
                              identity, chunk, combine);
}

/// parallel_reduce on pool p.
template <class T, class Chunk, class Combine>
T parallel_reduce(pool& p, std::size_t first, std::size_t last, T identity, Chunk chunk,
                  Combine combine) {
  detail::check_range("parallel_reduce", first, last);
  return detail::reduce_range(p.scheduler(), first, last, detail::auto_plan(last - first, p.size()),
                              identity, chunk, combine);
}

/// parallel_reduce with a grain on pool p.
template <class T, class Chunk, class Combine>
T parallel_reduce(pool& p, std::size_t first, std::size_t last, std::size_t grain, T identity,
                  Chunk chunk, Combine combine) {
  detail::check_range("parallel_reduce", first, last);
  detail::check_grain("parallel_reduce", grain);
  return detail::reduce_range(p.scheduler(), first, last, detail::grain_plan(grain), identity,
                              chunk, combine);
}

namespace detail {

template <class It, class T, class Op>
T reduce_elements(scheduler& s, It first, It last, T identity, Op& op) {
  if (last < first) check_range("parallel_reduce", 1, 0);
  const auto n = static_cast<std::size_t>(last - first);
  auto chunk = [&](std::size_t b, std::size_t e, T acc) {
    for (It it = first + static_cast<std::iter_difference_t<It>>(b),
            end = first + static_cast<std::iter_difference_t<It>>(e);
         it != end; ++it)
      acc = op(std::move(acc), *it);
    return acc;
  };
  return reduce_range(s, 0, n, auto_plan(n, s.size()), identity, chunk, op);
}

}  // namespace detail

/// Folds the elements of [first, last) with op, an associative operation whose neutral
/// element is `identity`: the result equals identity op x0 op x1 op ... (grouped freely).
template <std::random_access_iterator It, class T, class Op>
requires(!std::integral<It>) T parallel_reduce(It first, It last, T identity, Op op) {
  return detail::reduce_elements(detail::ambient_scheduler(), first, last, std::move(identity), op);
}

/// The element form on pool p.
template <std::random_access_iterator It, class T, class Op>
requires(!std::integral<It>) T parallel_reduce(pool& p, It first, It last, T identity, Op op) {
  return detail::reduce_elements(p.scheduler(), first, last, std::move(identity), op);
}

}  // namespace brigade
