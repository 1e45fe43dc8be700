// The integer path of parallel_sort: a parallel radix sort on 8-bit digits that moves the keys
// through memory twice and does the rest of its passes in the cache.
//
// 1. One read pass, in parallel over blocks, counts every digit of every block at once. A
//    digit that is the same in all keys (the high bytes of small numbers) is never looked at
//    again.
// 2. The keys are scattered by their highest varying digit into the scratch buffer, every block
//    in parallel, each block writing through its own cursors (prefix sums of the per-block
//    counts): an MSD pass. The 256 pieces it leaves are then sorted independently, in
//    parallel.
// 3. A piece too large for the cache gets another MSD pass on its next digit (in parallel over
//    blocks too when it holds a large share of all keys, as skewed keys make it), and so on.
// 4. A piece that fits in the cache is sorted by one worker with LSD passes over its remaining
//    digits, ping-ponging between its parts of the two buffers; digits equal in the whole piece
//    are skipped, and tiny pieces go to std::sort. Every piece ends in the caller's array.
//
// Signed keys order as unsigned ones with the sign bit flipped.
#pragma once

#include <brigade/par/detail/lazy_split.hpp>
#include <brigade/pool/detail/scheduler.hpp>
#include <brigade/pool/pool.hpp>

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace brigade::detail {

/// The keys radix_sort handles: integers of 8 to 64 bits, bool excluded.
template <class T>
concept radix_key = std::integral<T> && !std::same_as<T, bool> && sizeof(T) <= 8;

inline constexpr unsigned radix_bits = 8;
inline constexpr std::size_t radix_buckets = std::size_t{1} << radix_bits;

/// Blocks of a parallel pass are at least this long (so that counting a block outweighs
/// handling its counts); there are at most radix_blocks_per_worker per worker, enough slack for
/// a late worker to be covered by the others.
inline constexpr std::size_t radix_min_block = 1 << 14;
inline constexpr std::size_t radix_blocks_per_worker = 4;

/// A piece of at most this many bytes is sorted in the cache by LSD passes (both of its halves,
/// in the keys and in the scratch buffer, fit in a core's L2 cache together).
inline constexpr std::size_t radix_cache_bytes = 1 << 19;

/// Pieces of at most this many keys go to std::sort: a radix pass costs 256 counters at least.
inline constexpr std::size_t radix_tiny_piece = 64;

/// Digit d of x, counted from the least significant, in the unsigned order of x.
template <radix_key T>
constexpr std::size_t radix_digit(T x, unsigned d) noexcept {
  using U = std::make_unsigned_t<T>;
  constexpr U flip = std::is_signed_v<T> ? static_cast<U>(U{1} << (8 * sizeof(T) - 1)) : U{0};
  const auto key = static_cast<U>(static_cast<U>(x) ^ flip);
  return static_cast<std::size_t>(key >> (radix_bits * d)) & (radix_buckets - 1);
}

/// How many keys of a block have each value of one digit; during a scatter, the position in
/// the output where the block writes its next key with that value.
using radix_counts = std::array<std::size_t, radix_buckets>;

/// One radix sort of n keys in `data`, with a scratch buffer of n keys.
template <radix_key T>
class radix_sorter {
 public:
  static constexpr unsigned digits = sizeof(T) * 8 / radix_bits;

  /// `root` holds blocks * digits counters: the counts of every digit of every block.
  radix_sorter(scheduler& s, T* data, T* scratch, std::size_t n, std::size_t blocks,
               radix_counts* root) noexcept
      : s_(s),
        data_(data),
        scratch_(scratch),
        n_(n),
        blocks_(blocks),
        root_(root),
        parallel_piece_(n / (2 * s.size())) {}

  /// Sorts the keys into data; runs on a worker of s.
  void run() {
    auto count_all = [&](std::size_t kb, std::size_t ke) {
      for (std::size_t k = kb; k < ke; ++k) {
        // A local array keeps workers off each other's cache lines.
        radix_counts local[digits] = {};
        for (std::size_t i = block_begin(n_, blocks_, k), e = block_begin(n_, blocks_, k + 1);
             i < e; ++i)
          for (unsigned d = 0; d < digits; ++d) ++local[d][radix_digit(data_[i], d)];
        std::copy(local, local + digits, root_ + k * digits);
      }
    };
    for_range(s_, 0, blocks_, grain_plan(1), count_all);
    for (unsigned d = 0; d < digits; ++d) {
      std::size_t same = 0;
      for (std::size_t k = 0; k < blocks_; ++k)
        same += root_[k * digits + d][radix_digit(data_[0], d)];
      if (same != n_) varying_ |= 1u << d;
    }
    if (varying_ == 0) return;  // all keys are equal
    unsigned top = digits - 1;
    while ((varying_ >> top & 1) == 0) --top;
    split(data_, 0, n_, top, root_ + top, blocks_, digits);
  }

 private:
  static std::size_t block_begin(std::size_t m, std::size_t blocks, std::size_t k) noexcept {
    return m / blocks * k + std::min(k, m % blocks);
  }

  T* other(const T* buf) const noexcept { return buf == data_ ? scratch_ : data_; }

  void move_to_data(T* in, std::size_t off, std::size_t m) const noexcept {
    if (in != data_) std::copy(in + off, in + off + m, data_ + off);
  }

  /// Sorts the m keys at in + off (in is data_ or scratch_) by their digits below `below`
  /// into data_ + off. Every key agrees with the others on the digits from `below` up.
  void sort_piece(T* in, std::size_t off, std::size_t m, unsigned below) {
    if (m <= radix_tiny_piece) {
      move_to_data(in, off, m);
      std::sort(data_ + off, data_ + off + m);
    } else if (m * sizeof(T) <= radix_cache_bytes) {
      sort_in_cache(in, off, m, below);
    } else {
      split_piece(in, off, m, below);
    }
  }

  /// An MSD pass on the highest digit below `below` that varies in the piece, then its pieces.
  void split_piece(T* in, std::size_t off, std::size_t m, unsigned below) {
    std::size_t blocks =
        m >= parallel_piece_ && s_.size() > 1
            ? std::clamp<std::size_t>(m / radix_min_block, 1, radix_blocks_per_worker * s_.size())
            : 1;
    radix_counts single;
    radix_counts* counts = &single;
    std::vector<radix_counts> many;
    if (blocks > 1) {
      try {
        many.resize(blocks);
        counts = many.data();
      } catch (const std::bad_alloc&) {
        blocks = 1;  // sort this piece on one worker instead
      }
    }
    const T* keys = in + off;
    for (unsigned d = below; d-- > 0;) {
      if ((varying_ >> d & 1) == 0) continue;
      auto count = [&](std::size_t kb, std::size_t ke) {
        for (std::size_t k = kb; k < ke; ++k) {
          radix_counts local = {};
          for (std::size_t i = block_begin(m, blocks, k), e = block_begin(m, blocks, k + 1); i < e;
               ++i)
            ++local[radix_digit(keys[i], d)];
          counts[k] = local;
        }
      };
      if (blocks > 1)
        for_range(s_, 0, blocks, grain_plan(1), count);
      else
        count(0, 1);
      std::size_t same = 0;
      for (std::size_t k = 0; k < blocks; ++k) same += counts[k][radix_digit(keys[0], d)];
      if (same == m) continue;  // equal in this piece: the next digit splits it
      split(in, off, m, d, counts, blocks, 1);
      return;
    }
    move_to_data(in, off, m);  // the keys are all equal
  }

  /// Scatters the m keys at in + off by digit d into other(in) + off, block by block, then
  /// sorts the 256 pieces in parallel. counts[k * stride] holds the counts of block k.
  void split(T* in, std::size_t off, std::size_t m, unsigned d, radix_counts* counts,
             std::size_t blocks, std::size_t stride) {
    // Value by value, block by block: where each block writes its first key of each value.
    std::array<std::size_t, radix_buckets + 1> start;
    std::size_t next = 0;
    for (std::size_t v = 0; v < radix_buckets; ++v) {
      start[v] = next;
      for (std::size_t k = 0; k < blocks; ++k) next += std::exchange(counts[k * stride][v], next);
    }
    start[radix_buckets] = m;
    const T* src = in + off;
    T* dst = other(in) + off;
    auto scatter = [&](std::size_t kb, std::size_t ke) {
      for (std::size_t k = kb; k < ke; ++k) {
        radix_counts cursor = counts[k * stride];
        for (std::size_t i = block_begin(m, blocks, k), e = block_begin(m, blocks, k + 1); i < e;
             ++i)
          dst[cursor[radix_digit(src[i], d)]++] = src[i];
      }
    };
    if (blocks > 1)
      for_range(s_, 0, blocks, grain_plan(1), scatter);
    else
      scatter(0, 1);
    T* out = other(in);
    auto pieces = [&](std::size_t vb, std::size_t ve) {
      for (std::size_t v = vb; v < ve; ++v)
        if (start[v + 1] > start[v]) sort_piece(out, off + start[v], start[v + 1] - start[v], d);
    };
    for_range(s_, 0, radix_buckets, grain_plan(1), pieces);
  }

  /// LSD passes over the digits below `below`, all within the cache, on one worker.
  void sort_in_cache(T* in, std::size_t off, std::size_t m, unsigned below) {
    radix_counts counts[digits] = {};
    T* src = in + off;
    for (std::size_t i = 0; i < m; ++i)
      for (unsigned d = 0; d < below; ++d) ++counts[d][radix_digit(src[i], d)];
    T* dst = other(in) + off;
    for (unsigned d = 0; d < below; ++d) {
      if (counts[d][radix_digit(src[0], d)] == m) continue;  // equal in the whole piece
      std::size_t next = 0;
      for (std::size_t& c : counts[d]) next += std::exchange(c, next);
      for (std::size_t i = 0; i < m; ++i) dst[counts[d][radix_digit(src[i], d)]++] = src[i];
      std::swap(src, dst);
    }
    if (src != data_ + off) std::copy(src, src + m, data_ + off);
  }

  scheduler& s_;
  T* data_;
  T* scratch_;
  std::size_t n_;
  std::size_t blocks_;
  radix_counts* root_;
  std::size_t parallel_piece_;  // pieces at least this long are split in parallel
  unsigned varying_ = 0;        // bit d: digit d is not the same in all keys
};

/// Sorts data[0, n) ascending on the workers of s (called from one of them or not). Returns
/// false, with data untouched, when the scratch buffer of n keys cannot be allocated.
template <radix_key T>
bool radix_sort(scheduler& s, T* data, std::size_t n) {
  const std::size_t blocks =
      std::clamp<std::size_t>(n / radix_min_block, 1, radix_blocks_per_worker * s.size());
  std::unique_ptr<T[]> scratch;
  std::vector<radix_counts> root;
  try {
    scratch = std::make_unique_for_overwrite<T[]>(n);
    root.resize(blocks * radix_sorter<T>::digits);
  } catch (const std::bad_alloc&) {
    return false;
  }
  radix_sorter<T> sorter(s, data, scratch.get(), n, blocks, root.data());
  auto whole = [&] { sorter.run(); };
  run_on(s, whole);
  return true;
}

}  // namespace brigade::detail
