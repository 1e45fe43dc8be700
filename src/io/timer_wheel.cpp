// The event loop's timing wheel (timer_wheel.hpp).
#include "timer_wheel.hpp"

namespace brigade::detail {

timer_wheel::timer_wheel(std::int64_t now_ns) noexcept : next_tick_(tick_of(now_ns) + 1) {}

void timer_wheel::push(io_op& op) {
  op.sequence = sequence_;  // FIFO among equal deadlines
  place(op);
  ++sequence_;
  ++size_;
}

void timer_wheel::place(io_op& op) {
  const std::int64_t tick = tick_of(op.deadline_ns);
  if (tick < next_tick_) {
    near_.push(op);
    op.timer_where = in_near;
  } else if (tick - next_tick_ < wheel_ticks) {
    if (buckets_.empty()) buckets_.resize(static_cast<std::size_t>(wheel_ticks));
    std::vector<slot>& b = bucket(tick);
    b.push_back(slot{op.deadline_ns, &op});
    op.heap_index = static_cast<std::uint32_t>(b.size() - 1);
    op.timer_where = in_bucket;
    ++in_buckets_;
  } else {
    far_.push(op);
    op.timer_where = in_far;
  }
}

void timer_wheel::remove(io_op& op) noexcept {
  switch (op.timer_where) {
    case nowhere:
      return;
    case in_near:
      near_.remove(op);
      break;
    case in_far:
      far_.remove(op);
      break;
    default: {  // in_bucket: the last slot takes its place
      std::vector<slot>& b = bucket(tick_of(op.deadline_ns));
      const std::uint32_t i = op.heap_index;
      b[i] = b.back();
      b[i].op->heap_index = i;
      b.pop_back();
      op.heap_index = static_cast<std::uint32_t>(-1);
      --in_buckets_;
      break;
    }
  }
  op.timer_where = nowhere;
  --size_;
}

void timer_wheel::pull_far() {
  while (!far_.empty() && tick_of(far_.top_deadline()) - next_tick_ < wheel_ticks) {
    io_op& op = far_.top();
    place(op);  // into a bucket or near_ first: a failed allocation leaves it in far_
    far_.drop_top();
  }
}

void timer_wheel::advance(std::int64_t now) {
  // One tick at a time, and only once near_ is empty: a loop that has fallen behind (a backlog
  // of wake-ups) still orders a tick's worth at a time, so near_ stays small. Nothing in a
  // bucket comes before anything in near_ (its ticks are later), so the earliest due timer is
  // always in near_ when near_ has any.
  const std::int64_t now_tick = tick_of(now);
  while (near_.empty() && next_tick_ <= now_tick) {
    if (in_buckets_ == 0) {  // every bucket empty: skip the idle ticks at once
      next_tick_ = now_tick + 1;
      pull_far();
      return;
    }
    std::vector<slot>& b = bucket(next_tick_);
    while (!b.empty()) {  // from the back: a failed push leaves the rest where they were
      // Each op is written (its place); ask for the one a few slots on while this one moves.
      constexpr std::size_t ahead = 8;
      if (b.size() > ahead) __builtin_prefetch(b[b.size() - 1 - ahead].op, 1);
      io_op& op = *b.back().op;
      near_.push(op);
      op.timer_where = in_near;
      b.pop_back();
      --in_buckets_;
    }
    ++next_tick_;
    pull_far();
  }
}

io_op* timer_wheel::pop_due(std::int64_t now) {
  advance(now);
  if (near_.empty() || near_.top_deadline() > now) return nullptr;
  io_op& op = near_.pop();
  op.timer_where = nowhere;
  --size_;
  return &op;
}

std::int64_t timer_wheel::next_check() const noexcept {
  if (!near_.empty()) return near_.top_deadline();
  if (in_buckets_ != 0)
    for (std::int64_t t = next_tick_;; ++t)  // at most wheel_ticks steps: one holds a timer
      if (!bucket(t).empty()) return t << tick_shift;
  if (!far_.empty()) return far_.top_deadline();
  return -1;
}

void timer_wheel::collect(std::vector<io_op*>& out) const {
  near_.collect(out);
  far_.collect(out);
  for (const std::vector<slot>& b : buckets_)
    for (const slot& s : b) out.push_back(s.op);
}

}  // namespace brigade::detail
