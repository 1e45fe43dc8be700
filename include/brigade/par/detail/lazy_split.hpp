// The splitting engine under parallel_for and parallel_reduce: lazy binary splitting
// (Tzannes, Caragea, Barua, Vishkin, PPoPP 2010).
//
// A worker walks its range chunk by chunk and splits off the upper half only when its own deque
// is empty, i.e. when nobody has anything to steal from it. An idle worker steals that half and
// does the same, so the range is cut exactly as finely as load imbalance demands: a regular
// loop is cut about log2(P) times per worker, an irregular one (Mandelbrot rows) keeps being
// cut where the work turned out to be.
#pragma once

#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/pool/detail/scheduler.hpp>
#include <brigade/pool/join.hpp>

#include <algorithm>
#include <cstddef>
#include <utility>

namespace brigade::detail {

/// How a range is walked: `chunk` iterations between split checks, and no piece split below
/// `min_split` iterations. `fixed`: instead, halve every piece longer than `chunk` at its
/// midpoint, whatever the schedule, so the pieces and the combine tree depend only on the range
/// and `chunk` (a deterministic reduction).
struct split_plan {
  std::size_t chunk;
  std::size_t min_split;
  bool fixed = false;
};

/// With no grain given: check about 256 times per thread's share, at most every 1024
/// iterations, and allow splits down to single iterations.
inline split_plan auto_plan(std::size_t n, std::size_t threads) noexcept {
  const std::size_t per_check = n / (threads * 256);
  return {std::clamp<std::size_t>(per_check, 1, 1024), 1};
}

/// With a grain: never run or split pieces smaller than the grain.
inline split_plan grain_plan(std::size_t grain) noexcept {
  return {grain, grain};
}

/// The plan for n iterations on `threads` workers given a grain (0: automatic).
inline split_plan plan_for(std::size_t grain, std::size_t n, std::size_t threads) noexcept {
  return grain == 0 ? auto_plan(n, threads) : grain_plan(grain);
}

/// The fixed plan: leaves of at most `grain` iterations, or with no grain about n / 1024 (never
/// a function of the thread count).
inline split_plan fixed_plan(std::size_t grain, std::size_t n) noexcept {
  const std::size_t leaf =
      grain != 0 ? grain : std::max<std::size_t>(1, n / 1024 + (n % 1024 != 0));
  return {leaf, leaf, true};
}

/// While recording a trace, the pieces one call of walk_for/walk_reduce runs one after the
/// other are recorded as what they logically are: siblings, each a segment after the strand
/// that reached the range, all joined by one segment the caller continues from. The analysis
/// then measures the span of the program (Cilkview's logical span), not of this schedule, in
/// which no thief happened to ask for them. A piece of an automatic (grain 0) loop is further
/// divisible down to single iterations: it is marked with its iteration count, and counts for
/// one iteration's share of its time in the span.
class traced_pieces {
 public:
  explicit traced_pieces(const split_plan& plan) noexcept
      : label_(tracing::current_label()),
        origin_(tracing::end_segment()),
        join_(tracing::new_segment_id()),
        divisible_(plan.min_split == 1 && !plan.fixed) {}
  traced_pieces(const traced_pieces&) = delete;
  traced_pieces& operator=(const traced_pieces&) = delete;
  /// The caller continues in the join segment, even when a piece threw.
  ~traced_pieces() { tracing::begin_segment_as(join_, label_); }

  /// Opens a piece of `iterations` iterations.
  void begin_piece(std::size_t iterations) noexcept {
    const std::uint64_t id = tracing::begin_segment(label_, origin_);
    if (divisible_ && iterations > 1)
      tracing::record(tracing::kind::segment_units, id, iterations, nullptr);
  }
  /// Closes the open piece (or the continuation of a split) into the join.
  void end_piece() noexcept {
    if (const std::uint64_t id = tracing::end_segment(); id != 0)
      tracing::record(tracing::kind::edge, id, join_, nullptr);
  }
  /// Opens the segment that forks the rest of the range in two.
  void begin_split() noexcept { tracing::begin_segment(label_, origin_); }

 private:
  const char* label_;
  std::uint64_t origin_;
  std::uint64_t join_;
  bool divisible_;
};

/// The same walk with nothing recorded: every call compiles away.
struct untraced_pieces {
  explicit untraced_pieces(const split_plan&) noexcept {}
  void begin_piece(std::size_t) noexcept {}
  void end_piece() noexcept {}
  void begin_split() noexcept {}
};

/// Shared by every piece of one loop.
template <class Body>
struct for_loop {
  Body& body;  // body(b, e) runs iterations [b, e)
  split_plan plan;
  atomic<bool> failed{false};  // relaxed: a hint to stop early; the exception travels by join
};

template <class Body>
void run_chunk(for_loop<Body>& loop, std::size_t b, std::size_t e) {
  try {
    loop.body(b, e);
  } catch (...) {
    loop.failed.store(true, memory_order_relaxed);
    throw;
  }
}

template <class Body>
void fixed_for(std::size_t b, std::size_t e, for_loop<Body>& loop) {
  if (loop.failed.load(memory_order_relaxed)) return;
  if (e - b <= loop.plan.chunk) return run_chunk(loop, b, e);
  const std::size_t mid = b + (e - b) / 2;
  join([&] { fixed_for(b, mid, loop); }, [&] { fixed_for(mid, e, loop); });
}

template <class Body>
void split_for(worker& w, std::size_t b, std::size_t e, for_loop<Body>& loop);

// The lazy walk of [b, e), its pieces recorded by Pieces (traced_pieces or untraced_pieces).
template <class Pieces, class Body>
void walk_for(worker& w, std::size_t b, std::size_t e, for_loop<Body>& loop) {
  Pieces t(loop.plan);
  // Stop chunking when less than two chunks remain: the tail then runs as one piece of at
  // least a chunk, so a grain is honoured at the end of every split-off half too.
  // (e - b) / 2 >= x rather than e - b >= 2 * x: a grain above 2^63 must not overflow.
  while ((e - b) / 2 >= loop.plan.chunk) {
    if (loop.failed.load(memory_order_relaxed)) return;
    if ((e - b) / 2 >= loop.plan.min_split && w.deque().empty()) {
      const std::size_t mid = b + (e - b) / 2;
      auto lower = [&] { split_for(w, b, mid, loop); };
      auto upper = [&] { split_for(*current_worker(), mid, e, loop); };
      t.begin_split();
      join_on(w, lower, upper);
      t.end_piece();
      return;
    }
    t.begin_piece(loop.plan.chunk);
    run_chunk(loop, b, b + loop.plan.chunk);
    t.end_piece();
    b += loop.plan.chunk;
  }
  if (loop.failed.load(memory_order_relaxed)) return;
  t.begin_piece(e - b);
  run_chunk(loop, b, e);
  t.end_piece();
}

template <class Body>
void split_for(worker& w, std::size_t b, std::size_t e, for_loop<Body>& loop) {
  if (loop.plan.fixed) return fixed_for(b, e, loop);
  if (tracing::on()) return walk_for<traced_pieces>(w, b, e, loop);
  walk_for<untraced_pieces>(w, b, e, loop);
}

/// Runs body(b, e) over disjoint pieces covering [first, last) on the caller's pool (or s).
template <class Body>
void for_range(scheduler& s, std::size_t first, std::size_t last, split_plan plan, Body& body) {
  if (first == last) return;
  for_loop<Body> loop{body, plan};
  auto whole = [&] { split_for(*current_worker(), first, last, loop); };
  run_on(s, whole);
}

/// Shared by every piece of one reduction.
template <class T, class Chunk, class Combine>
struct reduce_loop {
  const T& identity;
  Chunk& chunk;      // chunk(b, e, acc) -> acc
  Combine& combine;  // combine(left, right) -> value
  split_plan plan;
  atomic<bool> failed{false};
};

template <class T, class Chunk, class Combine>
T run_chunk(reduce_loop<T, Chunk, Combine>& loop, std::size_t b, std::size_t e, T acc) {
  try {
    return loop.chunk(b, e, std::move(acc));
  } catch (...) {
    loop.failed.store(true, memory_order_relaxed);
    throw;
  }
}

// Every leaf folds from a copy of the identity and every inner node combines its two halves:
// the result is a function of the range and the leaf size only.
template <class T, class Chunk, class Combine>
T fixed_reduce(std::size_t b, std::size_t e, reduce_loop<T, Chunk, Combine>& loop) {
  if (loop.failed.load(memory_order_relaxed)) return T(loop.identity);  // an exception is coming
  if (e - b <= loop.plan.chunk) return run_chunk(loop, b, e, T(loop.identity));
  const std::size_t mid = b + (e - b) / 2;
  auto [l, r] =
      join([&] { return fixed_reduce(b, mid, loop); }, [&] { return fixed_reduce(mid, e, loop); });
  return loop.combine(std::move(l), std::move(r));
}

template <class T, class Chunk, class Combine>
T split_reduce(worker& w, std::size_t b, std::size_t e, T acc,
               reduce_loop<T, Chunk, Combine>& loop);

// walk_for's walk, folding: the pieces a worker runs in a row fold into one accumulator;
// logically (and in a trace) they are siblings whose results are combined.
template <class Pieces, class T, class Chunk, class Combine>
T walk_reduce(worker& w, std::size_t b, std::size_t e, T acc,
              reduce_loop<T, Chunk, Combine>& loop) {
  Pieces t(loop.plan);
  while ((e - b) / 2 >= loop.plan.chunk) {                   // as in walk_for
    if (loop.failed.load(memory_order_relaxed)) return acc;  // an exception is on its way up
    if ((e - b) / 2 >= loop.plan.min_split && w.deque().empty()) {
      const std::size_t mid = b + (e - b) / 2;
      auto lower = [&] { return split_reduce(w, b, mid, std::move(acc), loop); };
      auto upper = [&] { return split_reduce(*current_worker(), mid, e, T(loop.identity), loop); };
      t.begin_split();
      auto [l, r] = join_on(w, lower, upper);
      T out = loop.combine(std::move(l), std::move(r));
      t.end_piece();
      return out;
    }
    t.begin_piece(loop.plan.chunk);
    acc = run_chunk(loop, b, b + loop.plan.chunk, std::move(acc));
    t.end_piece();
    b += loop.plan.chunk;
  }
  if (loop.failed.load(memory_order_relaxed)) return acc;
  t.begin_piece(e - b);
  acc = run_chunk(loop, b, e, std::move(acc));
  t.end_piece();
  return acc;
}

template <class T, class Chunk, class Combine>
T split_reduce(worker& w, std::size_t b, std::size_t e, T acc,
               reduce_loop<T, Chunk, Combine>& loop) {
  if (loop.plan.fixed) return fixed_reduce(b, e, loop);
  if (tracing::on()) return walk_reduce<traced_pieces>(w, b, e, std::move(acc), loop);
  return walk_reduce<untraced_pieces>(w, b, e, std::move(acc), loop);
}

template <class T, class Chunk, class Combine>
T reduce_range(scheduler& s, std::size_t first, std::size_t last, split_plan plan,
               const T& identity, Chunk& chunk, Combine& combine) {
  if (first == last) return identity;
  reduce_loop<T, Chunk, Combine> loop{identity, chunk, combine, plan};
  auto whole = [&] { return split_reduce(*current_worker(), first, last, T(identity), loop); };
  return run_on(s, whole);
}

}  // namespace brigade::detail
