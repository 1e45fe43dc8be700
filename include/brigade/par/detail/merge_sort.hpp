// The comparison path of parallel_sort: a parallel merge sort over one scratch buffer.
//
// The range is cut into 2^L leaves of equal length, which std::sort sorts in parallel. Sibling
// runs are then merged pairwise up a binary fork-join tree, each merge as soon as both of its
// halves are sorted. A long merge is itself cut at output positions found by co-ranking (the
// merge-path binary search), so the last merges keep every worker busy too. Runs ping-pong
// between the input and the scratch buffer: the parity of L is chosen so that the root's run
// lands in the input, so there is no final copy.
//
// How long the leaves are depends on the values. Small trivially copyable values (numbers,
// pointers, pairs of them) are merged without branches, from both ends of the runs at once;
// such a merge costs less per element than one level of std::sort's quicksort, whose branches
// mispredict half the time on random keys. So their leaves are tiny (a few hundred elements)
// and almost all of the sorting is merging. Other values (strings, anything with a costly move)
// get a few long leaves per worker, and std::sort does most of the work.
//
// Scratch memory: trivially copyable values are simply copied into raw storage (an implicit-
// lifetime type needs no construction). Other values are moved into the scratch buffer leaf by
// leaf, constructing it, before their leaf is sorted there; the buffer's objects are destroyed
// at the end, or on an exception, leaf by leaf as far as they were constructed.
#pragma once

#include <brigade/core/detail/atomic.hpp>
#include <brigade/pool/detail/scheduler.hpp>
#include <brigade/pool/join.hpp>
#include <brigade/pool/pool.hpp>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace brigade::detail {

/// Values merged without branches: selecting one of two small values costs a conditional move,
/// where a plain merge mispredicts its branch half the time on random keys.
template <class T>
inline constexpr bool merge_branch_free = std::is_trivially_copyable_v<T> && sizeof(T) <= 16;

/// Values that may live in raw scratch storage without being constructed there.
template <class T>
inline constexpr bool merge_raw_scratch = std::is_trivially_copyable_v<T>;

/// Leaves of branch-free values hold from merge_small_leaf to 4 * merge_small_leaf elements.
/// Measured on 5e7 random uint64 on two cores, against 128: 64 takes 1.06 times as long, 256
/// 1.12 times, 1024 1.19, 4096 1.31, and four leaves per worker 1.5 times.
inline constexpr std::size_t merge_small_leaf = 128;

/// Other values: at least merge_leaves_per_worker leaves per worker, none shorter than
/// merge_min_leaf where that allows.
inline constexpr std::size_t merge_leaves_per_worker = 4;
inline constexpr std::size_t merge_min_leaf = 1 << 10;

/// Merges up to this long, or up to 1/merge_pieces_per_worker of the whole sort per worker,
/// run serially; longer ones are cut into pieces that run in parallel.
inline constexpr std::size_t merge_min_piece = 1 << 14;
inline constexpr std::size_t merge_pieces_per_worker = 8;

/// The first k outputs of merging sorted a[0, na) and sorted b[0, nb), ties taken from a
/// first, are a[0, i) and b[0, k - i); returns that i. O(log min(na, nb)) comparisons.
template <class In, class Compare>
std::size_t co_rank(In a, std::size_t na, In b, std::size_t nb, std::size_t k, Compare& comp) {
  using diff = std::iter_difference_t<In>;
  std::size_t lo = k > nb ? k - nb : 0;
  std::size_t hi = std::min(k, na);
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    // a[mid] is among the first k outputs unless b[k - mid - 1], which must then be among
    // them, goes strictly before it.
    if (comp(b[static_cast<diff>(k - mid - 1)], a[static_cast<diff>(mid)]))
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/// Merges sorted a[0, na) and sorted b[0, nb) into out[0, na + nb) by moving, ties from a
/// first.
template <class In, class Out, class Compare>
void merge_runs(In a, std::size_t na, In b, std::size_t nb, Out out, Compare& comp) {
  using diff = std::iter_difference_t<In>;
  using out_diff = std::iter_difference_t<Out>;
  auto at = [](auto it, std::size_t i) -> decltype(auto) {
    return it[static_cast<std::iter_difference_t<decltype(it)>>(i)];
  };
  if constexpr (merge_branch_free<std::iter_value_t<In>>) {
    // From both ends at once, without branches: the front takes the least remaining element,
    // the back the greatest, and the two chains of loads and compares overlap in the core.
    // Each runs until a run is used up from both sides; then what is left is one run's middle.
    std::size_t fa = 0, fb = 0, ba = na, bb = nb;  // unmerged: a[fa, ba) and b[fb, bb)
    std::size_t lo = 0, hi = na + nb;              // still to write: out[lo, hi)
    while (fa < ba && fb < bb) {
      const bool front_b = comp(at(b, fb), at(a, fa));
      at(out, lo++) = front_b ? at(b, fb) : at(a, fa);
      fb += front_b;
      fa += !front_b;
      if (fa == ba || fb == bb) break;
      const bool back_a = comp(at(b, bb - 1), at(a, ba - 1));
      at(out, --hi) = back_a ? at(a, ba - 1) : at(b, bb - 1);
      ba -= back_a;
      bb -= !back_a;
    }
    out += static_cast<out_diff>(lo);
    out = std::move(a + static_cast<diff>(fa), a + static_cast<diff>(ba), out);
    std::move(b + static_cast<diff>(fb), b + static_cast<diff>(bb), out);
  } else {
    In ae = a + static_cast<diff>(na), be = b + static_cast<diff>(nb);
    while (a != ae && b != be) {
      if (comp(*b, *a)) {
        *out = std::move(*b);
        ++b;
      } else {
        *out = std::move(*a);
        ++a;
      }
      ++out;
    }
    out = std::move(a, ae, out);
    std::move(b, be, out);
  }
}

/// How n elements are cut into `leaves` leaves of almost equal length.
struct leaf_cut {
  std::size_t n;
  std::size_t leaves;

  std::size_t begin(std::size_t k) const noexcept {
    return n / leaves * k + std::min(k, n % leaves);
  }
};

/// One sort: what every node of the tree shares.
template <class It, class Compare>
struct merge_sort_state {
  using value = std::iter_value_t<It>;

  It input;
  value* scratch;
  Compare& comp;
  leaf_cut cut;                // 2^levels leaves
  bool leaves_in_scratch;      // levels is odd: leaves are moved into scratch and sorted there
  bool* built;                 // per leaf: its part of scratch holds objects (leaves_in_scratch)
  std::size_t merge_grain;     // merges at most this long run serially
  atomic<bool> failed{false};  // relaxed: a hint to skip work; the exception travels by join

  /// Runs f unless a piece already failed; marks the sort failed if f throws.
  template <class F>
  void guarded(F&& f) {
    if (failed.load(memory_order_relaxed)) return;
    try {
      f();
    } catch (...) {
      failed.store(true, memory_order_relaxed);
      throw;
    }
  }
};

/// Merges a[0, na) and b[0, nb) into out, cut into pieces of at most merge_grain outputs that
/// run in parallel.
template <class State, class In, class Out>
void merge_parallel(worker& w, State& st, In a, std::size_t na, In b, std::size_t nb, Out out) {
  using diff = std::iter_difference_t<In>;
  using out_diff = std::iter_difference_t<Out>;
  if (na + nb <= st.merge_grain) {
    st.guarded([&] { merge_runs(a, na, b, nb, out, st.comp); });
    return;
  }
  const std::size_t k = (na + nb) / 2;
  std::size_t i = 0;
  st.guarded([&] { i = co_rank(a, na, b, nb, k, st.comp); });
  auto lower = [&] { merge_parallel(w, st, a, i, b, k - i, out); };
  auto upper = [&] {
    merge_parallel(*current_worker(), st, a + static_cast<diff>(i), na - i,
                   b + static_cast<diff>(k - i), nb - (k - i), out + static_cast<out_diff>(k));
  };
  join_on(w, lower, upper);
}

/// Sorts leaves [kb, ke), a subtree at depth `depth`, into the input when depth is even, else
/// into scratch.
template <class State>
void sort_subtree(worker& w, State& st, std::size_t kb, std::size_t ke, unsigned depth) {
  using diff = std::iter_difference_t<decltype(st.input)>;
  const std::size_t lo = st.cut.begin(kb);
  const std::size_t hi = st.cut.begin(ke);
  if (ke - kb == 1) {
    st.guarded([&] {
      if (st.leaves_in_scratch) {
        std::uninitialized_move(st.input + static_cast<diff>(lo), st.input + static_cast<diff>(hi),
                                st.scratch + lo);
        st.built[kb] = true;
        std::sort(st.scratch + lo, st.scratch + hi, st.comp);
      } else {
        std::sort(st.input + static_cast<diff>(lo), st.input + static_cast<diff>(hi), st.comp);
      }
    });
    return;
  }
  const std::size_t km = kb + (ke - kb) / 2;
  auto left = [&] { sort_subtree(w, st, kb, km, depth + 1); };
  auto right = [&] { sort_subtree(*current_worker(), st, km, ke, depth + 1); };
  join_on(w, left, right);
  // A child that skipped its work saw `failed` set; we see it too (coherence), and must not
  // merge: its run may be unsorted, or unconstructed scratch.
  if (st.failed.load(memory_order_relaxed)) return;
  const std::size_t mid = st.cut.begin(km);
  if (depth % 2 == 0) {
    merge_parallel(w, st, st.scratch + lo, mid - lo, st.scratch + mid, hi - mid,
                   st.input + static_cast<diff>(lo));
  } else {
    merge_parallel(w, st, st.input + static_cast<diff>(lo), mid - lo,
                   st.input + static_cast<diff>(mid), hi - mid, st.scratch + lo);
  }
}

/// The scratch buffer of one sort, and which of its leaves hold objects: those are destroyed
/// with it.
template <class T>
class merge_scratch {
 public:
  explicit merge_scratch(leaf_cut cut)
      : cut_(cut),
        built_(std::make_unique<bool[]>(cut.leaves)),
        data_(std::allocator<T>().allocate(cut.n)) {}
  merge_scratch(const merge_scratch&) = delete;
  merge_scratch& operator=(const merge_scratch&) = delete;
  ~merge_scratch() {
    for (std::size_t k = 0; k < cut_.leaves; ++k)
      if (built_[k]) std::destroy(data_ + cut_.begin(k), data_ + cut_.begin(k + 1));
    std::allocator<T>().deallocate(data_, cut_.n);
  }

  T* data() const noexcept { return data_; }
  bool* built() const noexcept { return built_.get(); }

 private:
  leaf_cut cut_;
  std::unique_ptr<bool[]> built_;  // before data_: freed if allocating data_ throws
  T* data_;
};

/// The number of leaf levels L (2^L leaves) for n values of type T on `workers` workers: odd
/// exactly when the leaves are sorted in the scratch buffer.
template <class T>
unsigned merge_levels(std::size_t n, std::size_t workers) {
  unsigned levels = merge_raw_scratch<T> ? 0 : 1;
  if constexpr (merge_branch_free<T>) {
    while ((n >> (levels + 2)) >= merge_small_leaf) levels += 2;
  } else {
    while ((std::size_t{1} << levels) < merge_leaves_per_worker * workers) levels += 2;
    while (levels >= 2 && (n >> levels) < merge_min_leaf) levels -= 2;
  }
  return levels;
}

/// Sorts [first, first + n) by comp on the workers of s. Returns false, with the range
/// untouched, when the scratch buffer cannot be allocated.
template <class It, class Compare>
bool merge_sort(scheduler& s, It first, std::size_t n, Compare& comp) {
  using T = std::iter_value_t<It>;
  const leaf_cut cut{n, std::size_t{1} << merge_levels<T>(n, s.size())};
  std::optional<merge_scratch<T>> scratch;  // destroyed after st's last use
  try {
    scratch.emplace(cut);
  } catch (const std::bad_alloc&) {
    return false;
  }
  merge_sort_state<It, Compare> st{
      first,
      scratch->data(),
      comp,
      cut,
      !merge_raw_scratch<T>,
      scratch->built(),
      std::max(n / (merge_pieces_per_worker * s.size()), merge_min_piece)};
  auto whole = [&] { sort_subtree(*current_worker(), st, 0, cut.leaves, 0); };
  run_on(s, whole);
  return true;
}

}  // namespace brigade::detail
