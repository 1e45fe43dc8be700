// The event loop's timing wheel (src/io/timer_wheel.hpp) against a reference model: random
// starts (due at once, within the wheel's span, far past it; many equal deadlines), random
// cancellations and expiries as a virtual clock moves on, over many seeds. Timers must leave
// in (deadline, start order), never before their deadline, and next_check() must neither miss
// the earliest timer nor ask to look again without progress.
#include "io/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <random>
#include <utility>
#include <vector>

namespace {

using brigade::detail::timer_op;
using brigade::detail::timer_wheel;

constexpr std::int64_t tick = std::int64_t{1} << timer_wheel::tick_shift;
constexpr std::int64_t span = tick * timer_wheel::wheel_ticks;

struct wheel_run {
  std::deque<timer_op> ops;  // stable addresses
  timer_wheel wheel;
  std::map<std::pair<std::int64_t, std::uint64_t>, timer_op*> model;  // (deadline, start order)
  std::map<const timer_op*, std::uint64_t> start_of;  // the model's start order of each op
  std::uint64_t starts = 0;

  explicit wheel_run(std::int64_t now) : wheel(now) {}

  timer_op& push(std::int64_t deadline) {
    timer_op& op = ops.emplace_back();
    op.deadline_ns = deadline;
    wheel.push(op);
    model.emplace(std::pair(deadline, starts), &op);
    start_of[&op] = starts++;
    return op;
  }
  void remove(timer_op& op) {
    model.erase(std::pair(op.deadline_ns, start_of.at(&op)));
    wheel.remove(op);
    wheel.remove(op);  // a second removal is a no-op
  }
  // Pops everything due at `now`, checking each against the model.
  void expire(std::int64_t now, std::vector<timer_op*>& live) {
    while (timer_op* op = wheel.pop_due(now)) {
      ASSERT_FALSE(model.empty());
      ASSERT_EQ(op, model.begin()->second);
      ASSERT_LE(op->deadline_ns, now);
      model.erase(model.begin());
      std::erase(live, op);
    }
    if (!model.empty()) {
      ASSERT_GT(model.begin()->first.first, now);  // nothing due left behind
    }
    ASSERT_EQ(wheel.size(), model.size());
  }
  void check_next(std::int64_t now) const {
    const std::int64_t at = wheel.next_check();
    if (model.empty()) {
      ASSERT_EQ(at, -1);
      return;
    }
    const std::int64_t first = model.begin()->first.first;
    ASSERT_LE(at, first);         // never sleeps past the earliest deadline
    ASSERT_GT(at, first - tick);  // at most one tick early: no busy loop
    ASSERT_TRUE(at > now || first > now || at == first);
  }
};

TEST(timer_wheel, matches_a_reference_model_over_random_operations) {
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    std::int64_t now = static_cast<std::int64_t>(rng() % (1u << 30)) + 5 * span;
    wheel_run r(now);
    std::vector<timer_op*> live;
    const bool ties = seed % 4 == 0;  // few distinct deadlines: equal ones in push order
    const int steps = 3000;
    for (int step = 0; step < steps; ++step) {
      // A third of the seeds reach the 32-bit start order's end (about 500 starts later) with
      // timers waiting in every container: renumbered, they must keep their order.
      if (seed % 3 == 0 && step == steps / 2)
        r.wheel.skip_sequence_to(std::numeric_limits<std::uint32_t>::max() - 500);
      const auto what = rng() % 20;
      if (what < 9 || live.empty()) {
        std::int64_t d;
        switch (rng() % 5) {
          case 0:  // due already, or now
            d = now - static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(tick));
            break;
          case 1:  // past the wheel's span
            d = now + span +
                static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(3 * span));
            break;
          default:  // within it
            d = now + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(span));
        }
        if (ties) d = d / (tick / 2) * (tick / 2);
        live.push_back(&r.push(d));
      } else if (what < 13) {  // cancel one
        const std::size_t k = rng() % live.size();
        timer_op* op = live[k];
        live[k] = live.back();
        live.pop_back();
        r.remove(*op);
      } else {  // time passes: a little, a tick or more, or past the span
        const auto how = rng() % 10;
        std::int64_t by;
        if (how < 5) {
          by = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(tick));
        } else if (how < 9) {
          by = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(20 * tick));
        } else {
          by = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * span));
        }
        now += by;
        ASSERT_NO_FATAL_FAILURE(r.expire(now, live));
      }
      ASSERT_NO_FATAL_FAILURE(r.check_next(now));
    }
    std::vector<timer_op*> all;
    r.wheel.collect(all);
    ASSERT_EQ(all.size(), r.model.size());
    // Drain by following next_check(), as the loop does: each look makes progress.
    for (int looks = 0; !r.model.empty(); ++looks) {
      ASSERT_LT(looks, 100'000);
      const std::int64_t at = r.wheel.next_check();
      if (at > now) now = at;
      const std::size_t before = r.model.size();
      ASSERT_NO_FATAL_FAILURE(r.expire(now, live));
      if (r.model.size() == before) {
        ASSERT_GT(r.wheel.next_check(), at);
      }
    }
    ASSERT_TRUE(r.wheel.empty());
    ASSERT_EQ(r.wheel.next_check(), -1);
  }
}

TEST(timer_wheel, equal_deadlines_leave_first_in_first_out_from_every_container) {
  const std::int64_t now = 10 * span;
  wheel_run r(now);
  std::vector<timer_op*> order;
  // Three deadlines: one due (near heap), one in a bucket, one far; started interleaved.
  const std::int64_t deadlines[] = {now, now + 3 * tick, now + 3 * span};
  for (int i = 0; i < 300; ++i) order.push_back(&r.push(deadlines[i % 3]));
  std::vector<timer_op*> got;
  std::int64_t t = now;
  while (!r.wheel.empty()) {
    while (timer_op* op = r.wheel.pop_due(t)) got.push_back(op);
    t = std::max(t + 1, r.wheel.next_check());
  }
  ASSERT_EQ(got.size(), order.size());
  for (std::size_t k = 0; k < 3; ++k)
    for (std::size_t i = 0; i < 100; ++i) EXPECT_EQ(got[k * 100 + i], order[i * 3 + k]);
}

TEST(timer_wheel, equal_deadlines_keep_their_order_when_the_start_order_wraps) {
  // The start order is 32 bits; at its end the waiting timers are renumbered. Timers with equal
  // deadlines, started before and after that in every container (a tick taken out and sorted,
  // the near heap, a bucket, the far heap), some cancelled, still leave first in, first out.
  const std::int64_t now = 10 * span;
  wheel_run r(now);
  const std::int64_t in_run = now + 2 * tick + tick / 2;
  const std::int64_t deadlines[] = {in_run, now + 2 * tick + 1, now + 5 * tick, now + 3 * span};
  std::vector<timer_op*> live;
  for (int i = 0; i < 200; ++i) r.push(deadlines[i % 4]);
  // Time reaches into the third tick: it is taken out of the wheel (sorted), and the timers at
  // `in_run` wait there; those started later with that deadline wait in the near heap.
  ASSERT_NO_FATAL_FAILURE(r.expire(now + 2 * tick + 1, live));
  ASSERT_EQ(r.model.size(), 150u);
  r.wheel.skip_sequence_to(std::numeric_limits<std::uint32_t>::max() - 100);
  std::vector<timer_op*> later;
  for (int i = 0; i < 400; ++i) later.push_back(&r.push(deadlines[i % 4]));
  EXPECT_LT(r.ops.back().sequence, 1000u);  // renumbered: the order starts again near 0
  for (std::size_t k = 0; k < later.size(); k += 7) r.remove(*later[k]);
  std::int64_t t = now;
  while (!r.model.empty()) {
    ASSERT_NO_FATAL_FAILURE(r.expire(t, live));
    t = std::max(t + 1, r.wheel.next_check());
  }
  EXPECT_TRUE(r.wheel.empty());
}

TEST(timer_wheel, a_tick_taken_out_keeps_its_order_through_cancellations_and_late_starts) {
  // Many timers in one tick; time reaches the middle of it, so that tick is taken out of the
  // wheel (sorted) with half of its timers still waiting. Cancelling some of those leaves holes;
  // timers started now land in the same tick (before, between and equal to the waiting ones).
  // Everything must still leave in (deadline, start order), and no cancelled timer may leave.
  const std::int64_t now0 = 10 * span;
  wheel_run r(now0);
  std::vector<timer_op*> live;
  const std::int64_t t0 = now0 + 2 * tick;
  std::vector<timer_op*> in_tick;
  for (int i = 0; i < 400; ++i)
    in_tick.push_back(&r.push(t0 + static_cast<std::int64_t>(i * 7919 % 100) * (tick / 100)));
  const std::int64_t mid = t0 + tick / 2;
  ASSERT_NO_FATAL_FAILURE(r.expire(mid, live));
  ASSERT_GT(r.model.size(), 100u);  // half the tick still waits
  std::size_t cancelled = 0;
  timer_op* waiting = nullptr;
  for (std::size_t k = 0; k < in_tick.size(); ++k) {
    timer_op* op = in_tick[k];
    if (op->deadline_ns <= mid) continue;  // left already
    if (k % 3 == 0) {
      r.remove(*op);
      ++cancelled;
    } else {
      waiting = op;
    }
  }
  ASSERT_GT(cancelled, 30u);
  ASSERT_NE(waiting, nullptr);
  r.push(mid + 1);                   // before every waiting one
  r.push(waiting->deadline_ns);      // equal to a waiting one: after it
  r.push(t0 + tick - 1);             // the tick's last moment
  r.push(t0 + tick / 2 + tick / 4);  // between
  std::int64_t now = mid;
  while (!r.model.empty()) {
    ASSERT_NO_FATAL_FAILURE(r.check_next(now));
    now = std::max(now + 1, r.wheel.next_check());
    ASSERT_NO_FATAL_FAILURE(r.expire(now, live));
  }
  EXPECT_TRUE(r.wheel.empty());
}

TEST(timer_wheel, a_far_timer_fires_after_a_long_idle_gap) {
  // A loop asleep for an hour wakes to a wheel with empty buckets (it skips the idle ticks at
  // once) and a timer that waited in the far heap.
  std::int64_t now = 100 * span;
  wheel_run r(now);
  timer_op& far = r.push(now + 3600LL * 1'000'000'000);
  now += 3600LL * 1'000'000'000;
  EXPECT_EQ(r.wheel.pop_due(now), &far);
  EXPECT_TRUE(r.wheel.empty());
}

}  // namespace
