// The event loop's timing wheel (timer_wheel.hpp).
#include "timer_wheel.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace brigade::detail {

timer_wheel::timer_wheel(std::int64_t now_ns) noexcept : next_tick_(tick_of(now_ns) + 1) {}

void timer_wheel::push(timer_op& op) {
  if (sequence_ == std::numeric_limits<std::uint32_t>::max()) renumber();
  op.sequence = sequence_;  // FIFO among equal deadlines
  place(op);
  ++sequence_;
  ++size_;
}

void timer_wheel::renumber() {
  std::vector<timer_op*> all;
  all.reserve(size_);  // the only step that can fail, before anything changes
  collect(all);
  std::sort(all.begin(), all.end(),
            [](const timer_op* a, const timer_op* b) { return a->sequence < b->sequence; });
  // Every comparison of two sequences keeps its answer, so the heaps stay heaps and run_ stays
  // sorted; nothing needs to move.
  std::uint32_t next = 0;
  for (timer_op* op : all) op->sequence = next++;
  sequence_ = next;
}

void timer_wheel::place(timer_op& op) {
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

void timer_wheel::remove(timer_op& op) noexcept {
  switch (op.timer_where) {
    case nowhere:
      return;
    case in_near:
      near_.remove(op);
      break;
    case in_far:
      far_.remove(op);
      break;
    case in_run:  // a hole: pops and next_check skip it
      run_[op.heap_index].op = nullptr;
      --in_run_;
      skip_holes();
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
    timer_op& op = far_.top();
    place(op);  // into a bucket or near_ first: a failed allocation leaves it in far_
    far_.drop_top();
  }
}

void timer_wheel::advance(std::int64_t now) {
  // One tick at a time, and only once run_ and near_ are empty: a loop that has fallen behind
  // (a backlog of wake-ups) still orders a tick's worth at a time. Nothing in a bucket comes
  // before anything in run_ or near_ (its ticks are later), so the earliest due timer is in one
  // of those two whenever they hold any.
  const std::int64_t now_tick = tick_of(now);
  while (near_.empty() && in_run_ == 0 && next_tick_ <= now_tick) {
    if (in_buckets_ == 0) {  // every bucket empty: skip the idle ticks at once
      next_tick_ = now_tick + 1;
      pull_far();
      return;
    }
    take_tick(bucket(next_tick_));
    ++next_tick_;
    pull_far();
  }
}

void timer_wheel::take_tick(std::vector<slot>& b) {
  // Swapped, not copied: the bucket keeps run_'s old storage for its next turn, and nothing
  // here allocates.
  run_.clear();
  run_head_ = 0;
  run_.swap(b);
  std::sort(run_.begin(), run_.end(), [](const slot& x, const slot& y) {
    return x.deadline != y.deadline ? x.deadline < y.deadline : x.op->sequence < y.op->sequence;
  });
  const std::size_t n = run_.size();
  for (std::size_t i = 0; i < n; ++i) {
    // Each op is written (its place); ask for the one a few slots on while this one is.
    constexpr std::size_t ahead = 8;
    if (i + ahead < n) __builtin_prefetch(run_[i + ahead].op, 1);
    timer_op& op = *run_[i].op;
    op.heap_index = static_cast<std::uint32_t>(i);
    op.timer_where = in_run;
  }
  in_run_ = n;
  in_buckets_ -= n;
}

bool timer_wheel::run_is_next() const noexcept {
  if (in_run_ == 0) return false;
  if (near_.empty()) return true;
  const slot& r = run_[run_head_];
  const std::int64_t d = near_.top_deadline();
  return r.deadline != d ? r.deadline < d : r.op->sequence < near_.top().sequence;
}

void timer_wheel::skip_holes() noexcept {
  if (in_run_ == 0) {
    run_.clear();
    run_head_ = 0;
    return;
  }
  while (run_[run_head_].op == nullptr) ++run_head_;  // in_run_ > 0: a timer lies ahead
}

timer_op* timer_wheel::pop_due(std::int64_t now) {
  advance(now);
  timer_op* op;
  if (run_is_next()) {
    slot& s = run_[run_head_];
    if (s.deadline > now) return nullptr;
    op = std::exchange(s.op, nullptr);
    --in_run_;
    skip_holes();
    // A backlog fires the tick's timers one after another: start loading one a few places on
    // (finish() writes it next) while this one is finished and resumed.
    constexpr std::size_t ahead = 4;
    if (run_head_ + ahead < run_.size() && run_[run_head_ + ahead].op != nullptr)
      __builtin_prefetch(run_[run_head_ + ahead].op, 1);
  } else {
    if (near_.empty() || near_.top_deadline() > now) return nullptr;
    op = &near_.pop();
  }
  op->timer_where = nowhere;
  --size_;
  return op;
}

std::int64_t timer_wheel::next_check() const noexcept {
  if (in_run_ != 0 || !near_.empty())
    return run_is_next() ? run_[run_head_].deadline : near_.top_deadline();
  if (in_buckets_ != 0)
    for (std::int64_t t = next_tick_;; ++t)  // at most wheel_ticks steps: one holds a timer
      if (!bucket(t).empty()) return t << tick_shift;
  if (!far_.empty()) return far_.top_deadline();
  return -1;
}

void timer_wheel::collect(std::vector<timer_op*>& out) const {
  for (std::size_t i = run_head_; i < run_.size(); ++i)
    if (run_[i].op != nullptr) out.push_back(run_[i].op);
  near_.collect(out);
  far_.collect(out);
  for (const std::vector<slot>& b : buckets_)
    for (const slot& s : b) out.push_back(s.op);
}

}  // namespace brigade::detail
