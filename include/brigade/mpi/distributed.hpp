// The common shapes of a program spread over ranks: an index range cut into one block per rank
// (distributed_for), a reduction over such a range whose result is the same bits at any number
// of ranks and threads (distributed_reduce), and gathering blocks onto one rank (gather_to).
#pragma once

#include <brigade/mpi/context.hpp>
#include <brigade/mpi/operation.hpp>
#include <brigade/par/detail/lazy_split.hpp>
#include <brigade/par/par_options.hpp>
#include <brigade/par/parallel_for.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace brigade::mpi {

/// A half-open index range [begin, end).
struct block {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t size() const noexcept { return end - begin; }
  bool operator==(const block&) const = default;
};

/// Rank `rank`'s block of [first, last) cut into `ranks` contiguous blocks in rank order, whose
/// sizes differ by at most one (the first ranks get the longer ones). Some are empty when the
/// range has fewer indices than ranks. std::invalid_argument for first > last, ranks < 1 or a
/// rank outside 0 .. ranks-1.
block block_of(std::size_t first, std::size_t last, int rank, int ranks);

/// Runs body(b, e) over this rank's block of [first, last) (block_of with the live context's
/// rank and size) with parallel_for_range on this rank's pool (options as parallel_for's), and
/// returns the block. Blocking; no communication.
template <class Body>
block distributed_for(std::size_t first, std::size_t last, Body&& body,
                      const par_options& options = {}) {
  context& ctx = context::current();
  const block mine = block_of(first, last, ctx.rank(), ctx.size());
  if (mine.size() != 0) brigade::parallel_for_range(mine.begin, mine.end, body, options);
  return mine;
}

namespace detail {

/// The leaves of the fixed plan over [b, e) (as par's deterministic reduction cuts it), in order.
inline void fixed_leaves(std::size_t b, std::size_t e, std::size_t leaf, std::vector<block>& out) {
  if (e - b <= leaf) {
    out.push_back({b, e});
    return;
  }
  const std::size_t mid = b + (e - b) / 2;
  fixed_leaves(b, mid, leaf, out);
  fixed_leaves(mid, e, leaf, out);
}

/// Combines leaf values in the fixed plan's tree over [b, e), taking leaves in order from *next.
template <class T, class Combine>
T fixed_combine(std::size_t b, std::size_t e, std::size_t leaf, std::vector<T>& values,
                std::size_t& next, Combine& combine) {
  if (e - b <= leaf) return std::move(values[next++]);
  const std::size_t mid = b + (e - b) / 2;
  T l = fixed_combine(b, mid, leaf, values, next, combine);
  T r = fixed_combine(mid, e, leaf, values, next, combine);
  return combine(std::move(l), std::move(r));
}

template <class T>
struct is_vector : std::false_type {};
template <class U, class A>
struct is_vector<std::vector<U, A>> : std::true_type {};

/// How a leaf value travels: trivially copyable T as its bytes; a std::vector of trivially
/// copyable elements as its elements, every value as long as the identity.
template <class T>
struct leaf_codec {
  static_assert(std::is_trivially_copyable_v<T>,
                "distributed_reduce: T must be trivially copyable or a std::vector of such");
  explicit leaf_codec(const T&) {}
  std::size_t bytes() const noexcept { return sizeof(T); }
  void put(const T& v, unsigned char* out) const { std::memcpy(out, &v, sizeof(T)); }
  T get(const unsigned char* in) const {
    T v;
    std::memcpy(&v, in, sizeof(T));
    return v;
  }
};
template <class U, class A>
struct leaf_codec<std::vector<U, A>> {
  static_assert(std::is_trivially_copyable_v<U>,
                "distributed_reduce: vector elements must be trivially copyable");
  explicit leaf_codec(const std::vector<U, A>& identity) : n(identity.size()) {}
  std::size_t n;
  std::size_t bytes() const noexcept { return n * sizeof(U); }
  void put(const std::vector<U, A>& v, unsigned char* out) const {
    if (v.size() != n)
      throw std::invalid_argument("distributed_reduce: a leaf's vector has " +
                                  std::to_string(v.size()) + " elements, the identity " +
                                  std::to_string(n) + " (they must all be as long)");
    if (n != 0) std::memcpy(out, v.data(), n * sizeof(U));
  }
  std::vector<U, A> get(const unsigned char* in) const {
    std::vector<U, A> v(n);
    if (n != 0) std::memcpy(v.data(), in, n * sizeof(U));
    return v;
  }
};

}  // namespace detail

/// The reduction of [first, last) that parallel_reduce(first, last, identity, fold, combine,
/// {.grain = options.grain, .deterministic = true}) computes on one process — the same bits —
/// spread over the ranks: the range is cut into the fixed plan's leaves (a function of the range
/// and the grain only), each rank folds a contiguous run of leaves (each from a copy of the
/// identity, on its pool), the leaf values are exchanged (one allgather), and every rank
/// combines all of them in the fixed plan's tree. So the result does not depend on the number
/// of ranks or threads, and every rank gets it.
///
/// fold(b, e, acc) -> T folds indices [b, e) into acc; each rank calls it only for its own
/// leaves, which are the "shard" it must be able to compute. combine(T, T) -> T.
/// T: trivially copyable, or a std::vector of trivially copyable elements whose leaf values are
/// all as long as the identity. Collective: every rank calls it with the same range, grain and
/// identity size. Errors: mpi::error from the exchange; an exception from fold on any rank is
/// that rank's (the other ranks then wait in the exchange: let it end the job, see mpi::run).
template <class T, class Fold, class Combine>
T distributed_reduce(std::size_t first, std::size_t last, const T& identity, Fold&& fold,
                     Combine&& combine, const par_options& options = {}) {
  if (first > last)
    throw std::invalid_argument("distributed_reduce: first " + std::to_string(first) +
                                " is after last " + std::to_string(last));
  if (first == last) return identity;
  context& ctx = context::current();
  const std::size_t leaf = brigade::detail::fixed_plan(options.grain, last - first).chunk;
  std::vector<block> leaves;
  detail::fixed_leaves(first, last, leaf, leaves);
  const std::size_t count = leaves.size();
  const int ranks = ctx.size();
  const block mine = block_of(0, count, ctx.rank(), ranks);

  // This rank's leaves, folded on its pool.
  std::vector<T> own(mine.size(), identity);
  if (mine.size() != 0) {
    par_options o = options;
    o.grain = 1;
    o.deterministic = false;  // each leaf is folded whole: the split of this loop does not matter
    brigade::parallel_for(
        std::size_t{0}, mine.size(),
        [&](std::size_t k) {
          const block& l = leaves[mine.begin + k];
          own[k] = fold(l.begin, l.end, T(identity));
        },
        o);
  }

  // Everyone's leaves, in leaf order.
  const detail::leaf_codec<T> codec(identity);
  const std::size_t bytes = codec.bytes();
  std::vector<unsigned char> packed(mine.size() * bytes), all(count * bytes);
  for (std::size_t k = 0; k < own.size(); ++k) codec.put(own[k], packed.data() + k * bytes);
  std::vector<std::size_t> counts(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r)
    counts[static_cast<std::size_t>(r)] = block_of(0, count, r, ranks).size() * bytes;
  allgather(std::span<const unsigned char>(packed), std::span<unsigned char>(all),
            std::span<const std::size_t>(counts))
      .wait();

  std::vector<T> values;
  values.reserve(count);
  for (std::size_t k = 0; k < count; ++k) values.push_back(codec.get(all.data() + k * bytes));
  std::size_t next = 0;
  return detail::fixed_combine(first, last, leaf, values, next, combine);
}

/// Every rank's `mine` concatenated in rank order on rank `root` (MPI_Igatherv after an
/// exchange of the counts); other ranks get an empty vector. Blocking; collective.
template <class T>
std::vector<T> gather_to(int root, std::span<const T> mine) {
  context& ctx = context::current();
  const auto ranks = static_cast<std::size_t>(ctx.size());
  const std::uint64_t n = mine.size();
  std::vector<std::uint64_t> each(ranks);
  const std::vector<std::size_t> ones(ranks, 1);
  allgather(std::span<const std::uint64_t>(&n, 1), std::span<std::uint64_t>(each),
            std::span<const std::size_t>(ones))
      .wait();
  const std::vector<std::size_t> counts(each.begin(), each.end());
  std::size_t total = 0;
  for (std::size_t c : counts) total += c;
  std::vector<T> all(ctx.rank() == root ? total : 0);
  auto s = detail::describe<T>(detail::op_kind::gatherv, mine.data(), all.data(), mine.size());
  s->peer = root;
  detail::set_counts(*s, counts, total);
  operation<void>(std::move(s)).wait();
  return all;
}

}  // namespace brigade::mpi
