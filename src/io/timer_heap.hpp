// The event loop's timers: a 4-ary min-heap of timer operations ordered by deadline, then by
// the order they were started (equal deadlines fire first-in, first-out).
#pragma once

#include <brigade/io/detail/io_op.hpp>

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace brigade::detail {

/// Loop thread only. Each op records its place (io_op::heap_index), so removing a cancelled
/// timer is O(log n) without a search; io_op::sequence holds its start sequence, which the
/// caller sets (timer_wheel: it keeps it when a timer moves between containers).
///
/// A slot keeps the deadline beside the op's address, so ordering the heap reads the heap
/// alone: with the deadline only in the op (the awaiting coroutine's frame), every comparison
/// was a cache miss into a frame somewhere in memory, and with a million timers the heap's
/// comparisons took most of a wake-up's time. The op is read for a comparison only when two
/// deadlines are equal (its sequence number). Slots are 16 bytes and a node's four children
/// share one 64-byte cache line: the slots start 3 places into a line-aligned block.
class timer_heap {
 public:
  timer_heap() = default;
  timer_heap(const timer_heap&) = delete;
  timer_heap& operator=(const timer_heap&) = delete;
  ~timer_heap();

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  /// The earliest timer; the heap must not be empty.
  timer_op& top() const noexcept { return *at(0).op; }
  /// The earliest deadline; the heap must not be empty.
  std::int64_t top_deadline() const noexcept { return at(0).deadline; }
  /// Appends every timer, in no particular order, to out (to cancel them all).
  void collect(std::vector<timer_op*>& out) const;

  /// Adds op (deadline_ns and sequence set). std::bad_alloc when the heap must grow and cannot.
  void push(timer_op& op);
  /// Removes op if it is in the heap (a no-op otherwise).
  void remove(timer_op& op) noexcept;
  /// Removes and returns the earliest timer; the heap must not be empty.
  timer_op& pop() noexcept;
  /// Removes the earliest timer without writing to it (it already belongs to another
  /// container, which set its heap_index); the heap must not be empty.
  void drop_top() noexcept;

 private:
  struct slot {
    std::int64_t deadline;
    timer_op* op;
  };
  static constexpr std::size_t skew = 3;  // slot i lives at block_[i + skew]
  static constexpr std::size_t line = 64;

  slot& at(std::size_t i) const noexcept { return block_[i + skew]; }
  static bool less(const slot& a, const slot& b) noexcept {
    return a.deadline != b.deadline ? a.deadline < b.deadline : a.op->sequence < b.op->sequence;
  }
  void place(std::size_t i, const slot& s) const noexcept {
    at(i) = s;
    s.op->heap_index = static_cast<std::uint32_t>(i);
  }
  void grow();
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void remove_at(std::size_t i) noexcept;

  slot* block_ = nullptr;  // capacity_ + skew slots, aligned to a cache line
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace brigade::detail
