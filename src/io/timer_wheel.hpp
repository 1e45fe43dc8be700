// The event loop's timers: a timing wheel of 2 ms buckets in front of two 4-ary heaps, so a
// timer costs O(1) to start and cancel and its expiry works on a small, cache-resident heap.
#pragma once

#include <brigade/io/detail/io_op.hpp>

#include "timer_heap.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace brigade::detail {

/// Loop thread only. Timers leave in (deadline, start order): equal deadlines fire first-in,
/// first-out, and none before its deadline.
///
/// Where a timer waits depends on its tick (deadline / 2^21 ns, about 2.1 ms):
/// - `run_`, a sorted array: the tick most recently taken out of the wheel, leaving from the
///   front; a timer cancelled there leaves a hole;
/// - `near_`, a heap: ticks before `next_tick_` started after their tick was taken out (a short
///   sleep started late in its tick), and far timers pulled in late;
/// - a bucket of the wheel: the next 1,024 ticks (about 2.1 s), unordered, O(1) in and out;
/// - `far_`, a heap: later ticks.
/// As time passes, each tick's bucket is swapped into `run_` and sorted once run_ and near_ are
/// empty, and far timers whose tick comes within the wheel's span move into their buckets. The
/// next timer to fire is the earlier of run_'s front and near_'s top. With a million timers over
/// a second, a tick holds a few thousand timers; sorting them once costs less than a heap's
/// pops did, since each of those moved several timers and wrote each one's position into its
/// (cold) frame. Each timer records where it is (io_op::timer_where) and its position there
/// (io_op::heap_index), so removal is O(1) from a bucket or run_, O(log n) from a heap.
class timer_wheel {
 public:
  explicit timer_wheel(std::int64_t now_ns) noexcept;

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  /// Adds op (its deadline_ns set) after every timer added before it with the same deadline.
  /// std::bad_alloc when a container must grow and cannot.
  void push(timer_op& op);
  /// Removes op if it waits here (a no-op otherwise).
  void remove(timer_op& op) noexcept;
  /// Removes and returns the earliest timer whose deadline is <= now, or nullptr if none is.
  /// `now` never goes back between calls. std::bad_alloc as push (timers moving between
  /// containers); the wheel is then unchanged.
  timer_op* pop_due(std::int64_t now);
  /// When to look again: the earliest deadline, or earlier (the start of the first tick that
  /// holds timers); -1 when there are no timers.
  std::int64_t next_check() const noexcept;
  /// Appends every timer, in no particular order, to out (to cancel them all).
  void collect(std::vector<timer_op*>& out) const;

  /// Tests: the next timer started gets sequence s (>= the next one it would get), so that the
  /// renumbering at 2^32 - 1 can be reached.
  void skip_sequence_to(std::uint32_t s) noexcept { sequence_ = s; }

  static constexpr int tick_shift = 21;              // 2^21 ns: a tick of about 2.1 ms
  static constexpr std::int64_t wheel_ticks = 1024;  // buckets: a span of about 2.1 s

 private:
  enum where : std::uint8_t { nowhere = 0, in_near = 1, in_bucket = 2, in_far = 3, in_run = 4 };
  struct slot {
    std::int64_t deadline;
    timer_op* op;
  };
  static std::int64_t tick_of(std::int64_t deadline) noexcept { return deadline >> tick_shift; }
  std::vector<slot>& bucket(std::int64_t tick) noexcept {
    return buckets_[static_cast<std::size_t>(tick & (wheel_ticks - 1))];
  }
  const std::vector<slot>& bucket(std::int64_t tick) const noexcept {
    return buckets_[static_cast<std::size_t>(tick & (wheel_ticks - 1))];
  }
  void place(timer_op& op);  // into near_, a bucket or far_, by its tick
  void advance(std::int64_t now);
  void take_tick(std::vector<slot>& b);  // b's timers become run_, sorted
  bool run_is_next() const noexcept;     // run_'s front leaves before near_'s top
  void skip_holes() noexcept;            // run_head_ onto a timer, or run_ emptied
  void pull_far();                       // far timers whose tick is now within the wheel's span

  std::vector<slot> run_;     // sorted by (deadline, start order); op == nullptr: cancelled
  std::size_t run_head_ = 0;  // the first timer of run_ still waiting (or run_.size())
  std::size_t in_run_ = 0;    // timers still waiting in run_
  timer_heap near_;
  timer_heap far_;
  std::vector<std::vector<slot>> buckets_;  // wheel_ticks of them, made on first use
  std::int64_t next_tick_;                  // the first tick not moved into near_
  std::size_t in_buckets_ = 0;
  std::size_t size_ = 0;
  // Start order, kept in io_op::sequence (32 bits: a sleeping frame's bytes count). When it
  // would wrap, renumber() gives the waiting timers 0, 1, ... in their order: once per 2^32
  // timers started, O(n log n) in the timers waiting then.
  std::uint32_t sequence_ = 0;
  void renumber();
};

}  // namespace brigade::detail
