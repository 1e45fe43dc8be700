// brigade::parallel_scan and parallel_exclusive_scan — prefix sums on the pool.
//
// Two passes over the input (Blelloch's reduce-then-scan on blocks): each block is folded in
// parallel, the block totals are scanned serially (a few per worker), then each block is
// scanned in parallel from its offset. The input is read twice and the output written once.
// Both take scan_options last ({.pool = &p}); the scan chooses its own blocks, so there is no
// grain.
#pragma once

#include <brigade/par/detail/index_range.hpp>
#include <brigade/par/detail/lazy_split.hpp>
#include <brigade/par/par_options.hpp>
#include <brigade/pool/pool.hpp>

#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

namespace brigade {

/// Options of parallel_scan and parallel_exclusive_scan, passed last: `{.pool = &p}`.
///
/// Thread safety: a plain value; the scan reads it once, before any work starts.
struct scan_options {
  /// nullptr (the default): the calling worker's pool, else pool::global(). Otherwise the scan
  /// runs on *pool, which must outlive the call.
  brigade::pool* pool = nullptr;
};

namespace detail {

/// Below this many elements (or on one worker) a serial scan is faster than two passes.
inline constexpr std::size_t serial_scan_cutoff = 1 << 14;

template <class InIt, class OutIt, class T, class Op, bool Inclusive>
void scan(scheduler& s, InIt first, InIt last, OutIt out, T init, Op& op) {
  const std::size_t n =
      checked_distance(Inclusive ? "parallel_scan" : "parallel_exclusive_scan", first, last);
  using diff = std::iter_difference_t<InIt>;
  using out_diff = std::iter_difference_t<OutIt>;
  // Scans [b, e) starting from acc; returns the running value after the block.
  auto scan_block = [&](std::size_t b, std::size_t e, T acc) {
    InIt in = first + static_cast<diff>(b);
    OutIt o = out + static_cast<out_diff>(b);
    for (std::size_t i = b; i < e; ++i, ++in, ++o) {
      if constexpr (Inclusive) {
        acc = op(std::move(acc), *in);
        *o = acc;
      } else {
        T next = op(acc, *in);  // read before write: out may alias the input
        *o = std::move(acc);
        acc = std::move(next);
      }
    }
    return acc;
  };
  if (n == 0) return;
  if (n < serial_scan_cutoff || s.size() == 1) {
    auto whole = [&] { scan_block(0, n, std::move(init)); };
    run_on(s, whole);
    return;
  }
  // About four blocks per worker: enough slack to balance, few enough that the serial middle
  // step is negligible.
  const std::size_t blocks = std::min(n / (serial_scan_cutoff / 4), 4 * s.size());
  auto block_begin = [&](std::size_t k) { return n / blocks * k + std::min(k, n % blocks); };
  std::vector<T> offsets(blocks, init);
  auto whole = [&] {
    // Pass 1: the total of every block but the last.
    auto fold_blocks = [&](std::size_t kb, std::size_t ke) {
      for (std::size_t k = kb; k < ke; ++k) {
        const std::size_t b = block_begin(k), e = block_begin(k + 1);
        InIt in = first + static_cast<diff>(b);
        T acc = *in;
        for (std::size_t i = b + 1; i < e; ++i) acc = op(std::move(acc), *++in);
        offsets[k + 1] = std::move(acc);
      }
    };
    for_range(s, 0, blocks - 1, grain_plan(1), fold_blocks);
    // Serial: offsets[k] = init op total(0) op ... op total(k - 1).
    for (std::size_t k = 1; k < blocks; ++k) offsets[k] = op(offsets[k - 1], offsets[k]);
    // Pass 2: scan every block from its offset.
    auto scan_blocks = [&](std::size_t kb, std::size_t ke) {
      for (std::size_t k = kb; k < ke; ++k)
        scan_block(block_begin(k), block_begin(k + 1), std::move(offsets[k]));
    };
    for_range(s, 0, blocks, grain_plan(1), scan_blocks);
  };
  run_on(s, whole);
}

}  // namespace detail

/// Inclusive scan: out[i] = init op x[0] op ... op x[i] for every i. `op` must be associative;
/// `out` may be `first` (in place). Elements are combined left to right within each block, and
/// blocks in order, so op need not be commutative.
///
/// Options (scan_options, last): `.pool` (nullptr: the calling worker's pool, else
/// pool::global()) is where the scan runs.
///
/// Errors: std::invalid_argument if last < first; an exception from op reaches the caller
/// (out is then partly written).
/// Complexity: about 2n applications of op, O(n) extra copies of T for large n, plus one T per
/// block.
/// Blocking: from a thread outside the pool, the caller sleeps until the scan is done.
template <std::random_access_iterator InIt, std::random_access_iterator OutIt, class T, class Op>
void parallel_scan(InIt first, InIt last, OutIt out, T init, Op op, scan_options opts = {}) {
  detail::scan<InIt, OutIt, T, Op, true>(detail::scheduler_of(opts.pool), first, last, out,
                                         std::move(init), op);
}

/// Exclusive scan: out[0] = init and out[i] = init op x[0] op ... op x[i-1]. Options and the
/// rest as parallel_scan.
template <std::random_access_iterator InIt, std::random_access_iterator OutIt, class T, class Op>
void parallel_exclusive_scan(InIt first, InIt last, OutIt out, T init, Op op,
                             scan_options opts = {}) {
  detail::scan<InIt, OutIt, T, Op, false>(detail::scheduler_of(opts.pool), first, last, out,
                                          std::move(init), op);
}

}  // namespace brigade
