// brigade::parallel_map and brigade::parallel_transform — the joblib habit: apply a function to
// every element, in parallel, and keep the results in input order.
//
//   auto areas = brigade::parallel_map(shapes, [](const shape& s) { return s.area(); });
//   brigade::parallel_transform(in.begin(), in.end(), out.begin(), [](int x) { return x * x; });
//   auto names = brigade::parallel_map(ids, lookup, {.grain = 16, .pool = &io_pool});
//
// Batching is automatic: the range is split lazily (as parallel_for does), so a tiny function
// runs in long serial stretches and only load imbalance cuts the range finer. Both take
// par_options last ({.grain, .pool}), as parallel_for does.
#pragma once

#include <brigade/par/detail/index_range.hpp>
#include <brigade/par/detail/lazy_split.hpp>
#include <brigade/par/par_options.hpp>
#include <brigade/pool/pool.hpp>

#include <concepts>
#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

namespace brigade {
namespace detail {

template <class R, class F>
using map_result_t =
    std::remove_cvref_t<std::invoke_result_t<F&, std::ranges::range_reference_t<R>>>;

/// Fills a vector of n results, result i = at(i), on s. Default-constructible results are
/// assigned in place; others (and bool, whose vector packs bits that threads would share) go
/// through a buffer of optionals first.
template <class U, class At>
std::vector<U> map_indices(scheduler& s, std::size_t n, At& at, split_plan plan) {
  if constexpr (std::is_default_constructible_v<U> && std::is_move_assignable_v<U> &&
                !std::is_same_v<U, bool>) {
    std::vector<U> out(n);
    auto body = [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) out[i] = at(i);
    };
    for_range(s, 0, n, plan, body);
    return out;
  } else {
    std::unique_ptr<std::optional<U>[]> buffer(new std::optional<U>[n]);
    auto body = [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) buffer[i].emplace(at(i));
    };
    for_range(s, 0, n, plan, body);
    std::vector<U> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(std::move(*buffer[i]));
    return out;
  }
}

template <class R, class F>
auto map_range(R& range, F& f, const par_options& opts) {
  scheduler& s = scheduler_of(opts.pool);
  using U = map_result_t<R, F>;
  static_assert(!std::is_void_v<U>, "parallel_map needs a function that returns a value");
  const auto n = static_cast<std::size_t>(std::ranges::size(range));
  auto first = std::ranges::begin(range);
  auto at = [&](std::size_t i) -> decltype(auto) {
    return std::invoke(f, first[static_cast<std::ranges::range_difference_t<R>>(i)]);
  };
  return map_indices<U>(s, n, at, plan_of(opts, n, s.size()));
}

template <class It, class Out, class F>
Out transform_range(It first, It last, Out out, F& f, const par_options& opts) {
  const std::size_t n = checked_distance("parallel_transform", first, last);
  scheduler& s = scheduler_of(opts.pool);
  using diff_in = std::iter_difference_t<It>;
  using diff_out = std::iter_difference_t<Out>;
  auto body = [&](std::size_t b, std::size_t e) {
    It in = first + static_cast<diff_in>(b);
    Out to = out + static_cast<diff_out>(b);
    for (std::size_t i = b; i < e; ++i, ++in, ++to) *to = std::invoke(f, *in);
  };
  for_range(s, 0, n, plan_of(opts, n, s.size()), body);
  return out + static_cast<diff_out>(n);
}

}  // namespace detail

/// Returns {f(x) for x in range}, computed in parallel, in input order.
///
/// `range` is a sized random-access range (a vector, an array, a span, an iota_view...);
/// f is called once per element, from several threads at once, and its results are returned
/// by value in a std::vector.
///
/// Options (par_options, last): `.grain` (0: automatic) is the fewest elements mapped at once,
/// but for the piece ending the range; `.pool` (nullptr: the calling worker's pool, else
/// pool::global()) is where the map runs.
///
/// Errors: if calls throw, elements not yet started are skipped and one exception is rethrown
/// (that of the lowest-indexed failing piece among those that ran); no vector is returned.
/// Thread safety: f must not race with itself; the range must not change meanwhile.
/// Complexity: n calls of f; results that are not default-constructible (or are bool) are
/// built in a buffer first and moved once more.
/// Blocking: from a thread outside the pool, the caller sleeps until the map is done.
template <std::ranges::random_access_range R, class F>
requires std::ranges::sized_range<R>
auto parallel_map(R&& range, F&& f, par_options opts = {}) {
  return detail::map_range(range, f, opts);
}

/// Writes f(*(first + i)) to *(out + i) for every i in [0, last - first), in parallel, and
/// returns out + (last - first), as std::transform does. Both iterators are random access; the
/// output range must not overlap the input unless out == first. Options: as parallel_map.
///
/// Errors: std::invalid_argument when last is before first; exceptions as parallel_map.
/// Blocking: as parallel_map.
template <std::random_access_iterator It, std::random_access_iterator Out, class F>
Out parallel_transform(It first, It last, Out out, F&& f, par_options opts = {}) {
  return detail::transform_range(first, last, out, f, opts);
}

}  // namespace brigade
