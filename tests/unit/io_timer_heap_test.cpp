// The event loop's timer heap (src/io/timer_heap.hpp) against a reference model: random pushes,
// removals and pops over many seeds; pops come out in (deadline, push order), removals leave
// the rest intact, and every op knows its place (or that it has none).
#include "io/timer_heap.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <utility>
#include <vector>

namespace {

using brigade::detail::timer_heap;
using brigade::detail::timer_op;

constexpr std::uint32_t none = static_cast<std::uint32_t>(-1);

struct model_run {
  std::deque<timer_op> ops;  // stable addresses
  timer_heap heap;
  std::map<std::pair<std::int64_t, std::uint64_t>, timer_op*> model;  // (deadline, push order)
  std::uint64_t pushes = 0;

  timer_op& push(std::int64_t deadline) {
    timer_op& op = ops.emplace_back();
    op.deadline_ns = deadline;
    op.sequence = pushes;  // the start order: the heap's tie-break, set by its owner
    heap.push(op);
    model.emplace(std::pair(deadline, pushes++), &op);
    return op;
  }
  void check_top() const {
    ASSERT_EQ(heap.size(), model.size());
    if (model.empty()) return;
    ASSERT_EQ(&heap.top(), model.begin()->second);
    ASSERT_EQ(heap.top_deadline(), model.begin()->first.first);
  }
};

TEST(timer_heap, matches_a_reference_model_over_random_operations) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    model_run r;
    // Few distinct deadlines for some seeds: many ties, which must pop in push order.
    const std::int64_t spread = seed % 3 == 0 ? 8 : 1'000'000;
    std::uniform_int_distribution<std::int64_t> deadline(0, spread);
    std::vector<timer_op*> live;
    const int steps = 2000 + static_cast<int>(seed % 7) * 500;
    for (int step = 0; step < steps; ++step) {
      const auto what = rng() % 10;
      if (what < 5 || live.empty()) {
        live.push_back(&r.push(deadline(rng)));
      } else if (what < 7) {  // cancel a random live timer
        const std::size_t k = rng() % live.size();
        timer_op* op = live[k];
        live[k] = live.back();
        live.pop_back();
        r.model.erase(std::pair(op->deadline_ns, op->sequence));
        r.heap.remove(*op);
        ASSERT_EQ(op->heap_index, none);
        r.heap.remove(*op);  // a second removal is a no-op
      } else {               // expire the earliest
        timer_op* want = r.model.begin()->second;
        r.model.erase(r.model.begin());
        timer_op& got = r.heap.pop();
        ASSERT_EQ(&got, want);
        ASSERT_EQ(got.heap_index, none);
        std::erase(live, &got);
      }
      ASSERT_NO_FATAL_FAILURE(r.check_top());
    }
    std::vector<timer_op*> all;
    r.heap.collect(all);
    ASSERT_EQ(all.size(), r.model.size());
    for (timer_op* op : all) ASSERT_NE(op->heap_index, none);
    while (!r.model.empty()) {  // drains in order
      ASSERT_EQ(&r.heap.pop(), r.model.begin()->second);
      r.model.erase(r.model.begin());
    }
    ASSERT_TRUE(r.heap.empty());
  }
}

TEST(timer_heap, equal_deadlines_pop_first_in_first_out) {
  model_run r;
  std::vector<timer_op*> order;
  for (int i = 0; i < 1000; ++i) order.push_back(&r.push(i % 2 == 0 ? 5 : 3));
  for (int i = 1; i < 1000; i += 2) EXPECT_EQ(&r.heap.pop(), order[static_cast<std::size_t>(i)]);
  for (int i = 0; i < 1000; i += 2) EXPECT_EQ(&r.heap.pop(), order[static_cast<std::size_t>(i)]);
  EXPECT_TRUE(r.heap.empty());
}

}  // namespace
