// The event loop's timers: a 4-ary min-heap of timer operations ordered by deadline, then by
// the order they were started (equal deadlines fire first-in, first-out).
#pragma once

#include <brigade/io/detail/io_op.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace brigade::detail {

/// Loop thread only. Each op records its place (io_op::heap_index), so removing a cancelled
/// timer is O(log n) without a search; io_op::offset holds its start sequence.
class timer_heap {
 public:
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  /// The earliest timer; the heap must not be empty.
  io_op& top() const noexcept { return *heap_.front(); }
  /// Every timer, in no particular order (to cancel them all).
  const std::vector<io_op*>& all() const noexcept { return heap_; }

  void push(io_op& op);
  /// Removes op if it is in the heap (a no-op otherwise).
  void remove(io_op& op) noexcept;

 private:
  bool less(const io_op* a, const io_op* b) const noexcept;
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;

  std::vector<io_op*> heap_;
  std::uint64_t sequence_ = 0;
};

}  // namespace brigade::detail
