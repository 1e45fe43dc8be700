// The event loop's timer heap (timer_heap.hpp).
#include "timer_heap.hpp"

#include <cstring>

namespace brigade::detail {

static_assert(sizeof(void*) == 8, "slots are 16 bytes: four children to a cache line");

timer_heap::~timer_heap() {
  if (block_ != nullptr) ::operator delete (block_, std::align_val_t{line});
}

void timer_heap::collect(std::vector<timer_op*>& out) const {
  out.reserve(out.size() + size_);
  for (std::size_t i = 0; i < size_; ++i) out.push_back(at(i).op);
}

void timer_heap::grow() {
  const std::size_t cap = capacity_ == 0 ? 61 : 2 * capacity_ + skew;  // + skew: whole lines
  auto* b =
      static_cast<slot*>(::operator new ((cap + skew) * sizeof(slot), std::align_val_t{line}));
  if (block_ != nullptr) {
    std::memcpy(static_cast<void*>(b + skew), block_ + skew, size_ * sizeof(slot));
    ::operator delete (block_, std::align_val_t{line});
  }
  block_ = b;
  capacity_ = cap;
}

// 4-ary min-heap on (deadline, sequence): shallower than a binary heap, so fewer cache misses
// per push and pop with a million timers.
void timer_heap::push(timer_op& op) {
  if (size_ == capacity_) grow();
  const std::size_t i = size_++;
  place(i, slot{op.deadline_ns, &op});
  sift_up(i);
}

void timer_heap::remove(timer_op& op) noexcept {
  const std::uint32_t i = op.heap_index;
  if (i == static_cast<std::uint32_t>(-1)) return;
  remove_at(i);
}

timer_op& timer_heap::pop() noexcept {
  timer_op& op = *at(0).op;
  remove_at(0);
  return op;
}

void timer_heap::drop_top() noexcept {
  const std::size_t last = --size_;
  if (last == 0) return;
  place(0, at(last));
  sift_down(0);
}

void timer_heap::remove_at(std::size_t i) noexcept {
  at(i).op->heap_index = static_cast<std::uint32_t>(-1);
  const std::size_t last = --size_;
  if (i == last) return;
  const slot x = at(last);
  place(i, x);
  if (i > 0 && less(x, at((i - 1) / 4))) {
    sift_up(i);
  } else {
    sift_down(i);
  }
}

void timer_heap::sift_up(std::size_t i) noexcept {
  const slot x = at(i);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!less(x, at(parent))) break;
    place(i, at(parent));
    i = parent;
  }
  place(i, x);
}

void timer_heap::sift_down(std::size_t i) noexcept {
  const slot x = at(i);
  const std::size_t n = size_;
  for (;;) {
    const std::size_t first = 4 * i + 1;
    if (first >= n) break;
    std::size_t best = first;
    const std::size_t end = first + 4 < n ? first + 4 : n;
    for (std::size_t c = first + 1; c < end; ++c)
      if (less(at(c), at(best))) best = c;
    if (!less(at(best), x)) break;
    place(i, at(best));
    i = best;
  }
  place(i, x);
}

}  // namespace brigade::detail
