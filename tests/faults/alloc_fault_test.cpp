// Allocation failure: a coroutine frame, a coroutine body on an event loop, and pool work that
// cannot get memory; the std::bad_alloc reaches whoever waits for the work, and the executor
// goes on running what comes after. The sweeps fail each allocation of a small program in turn.
#include "fail_alloc.hpp"

#include <brigade/core/context.hpp>
#include <brigade/core/scope.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/timer.hpp>
#include <brigade/par/parallel_for.hpp>
#include <brigade/par/task_graph.hpp>
#include <brigade/pool/future.hpp>
#include <brigade/pool/join.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/pool/task_group.hpp>
#include <brigade/sim/sim.hpp>
#include <brigade/sync/channel.hpp>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <coroutine>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <new>
#include <numeric>
#include <string>
#include <vector>

namespace {

using brigade::testing::allocation_failure_fired;
using brigade::testing::allocations;
using brigade::testing::disarm_allocation_failure;
using brigade::testing::fail_nth_allocation;
using brigade::testing::fail_nth_allocation_scope;

// Clang may elide an allocation whose memory never escapes: a coroutine frame created and
// destroyed in one function, a vector only read locally. What the tests count must escape.
void escape(const void* p) {
  asm volatile("" : : "r"(p) : "memory");
}

// Its frame holds a 4 KiB parameter (a lazy task's body runs after its first suspension, so
// every parameter it reads is copied into the frame, whatever the compiler; a local array used
// around a suspension that never suspends is not, with clang): larger than the frame pages'
// largest block (core/detail/frame_cache.hpp), so it comes from operator new, which the tests make
// fail. (A smaller frame comes from a page the thread already holds: no operator new to fail.)
brigade::task<int> forty_two(std::array<char, 4096> pad) {
  co_return std::accumulate(pad.begin(), pad.end(), 42);
}

// Returned, the task escapes: its frame is always allocated, at the call.
[[gnu::noinline]] brigade::task<int> make_forty_two() {
  return forty_two(std::array<char, 4096>{});
}

// A body that allocates a vector of n ints and sums it.
brigade::task<std::int64_t> allocating_sum(std::size_t n) {
  std::vector<std::int64_t> v(n);
  escape(v.data());
  std::iota(v.begin(), v.end(), 0);
  co_return std::accumulate(v.begin(), v.end(), std::int64_t{0});
}

// The operator functions are called directly: a new-expression whose result is unused may be
// elided by the optimizer (clang does), and would not count.
TEST(alloc_fault, the_allocator_fails_the_armed_allocation_only) {
  {
    fail_nth_allocation_scope arm(2);
    void* a = ::operator new(8);
    EXPECT_THROW((void)::operator new(8), std::bad_alloc);
    void* c = ::operator new(8);  // the one after succeeds again
    EXPECT_TRUE(allocation_failure_fired());
    ::operator delete(a);
    ::operator delete(c);
  }
  {
    fail_nth_allocation_scope arm(1);
    EXPECT_EQ(::operator new(8, std::nothrow), nullptr);
  }
  {
    fail_nth_allocation_scope arm(1);
    EXPECT_THROW((void)::operator new (64, std::align_val_t{64}), std::bad_alloc);
    void* w = ::operator new (64, std::align_val_t{64});
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(w) % 64, 0u);
    ::operator delete (w, std::align_val_t{64});
  }
  fail_nth_allocation(0);  // disarmed: nothing fails
  ::operator delete(::operator new(8));
  EXPECT_FALSE(disarm_allocation_failure());
}

// (a) The frame of a task cannot be allocated: calling the coroutine function throws, at the
// call, in the awaiting coroutine; sync_wait's caller gets it.
TEST(alloc_fault, a_task_frame_that_cannot_be_allocated_throws_to_the_awaiter) {
  auto outer = []() -> brigade::task<int> {
    fail_nth_allocation(1);  // the next allocation: the inner task's frame
    try {
      (void)make_forty_two();
      ADD_FAILURE() << "the frame allocation did not fail";
    } catch (const std::bad_alloc&) {
    }
    EXPECT_TRUE(disarm_allocation_failure());
    co_return co_await make_forty_two();  // and the next one works
  };
  EXPECT_EQ(brigade::sync_wait(outer()), 42);

  // Through sync_wait: the inner frame fails while the outer task runs.
  auto failing = []() -> brigade::task<int> {
    fail_nth_allocation(1);
    co_return co_await make_forty_two();
  };
  EXPECT_THROW((void)brigade::sync_wait(failing()), std::bad_alloc);
  EXPECT_TRUE(disarm_allocation_failure());
}

// (b) A body on an event loop that cannot allocate: the exception reaches the awaiting
// coroutine and run_until's caller, and the loop runs other coroutines afterwards.
TEST(alloc_fault, a_body_on_an_event_loop_that_cannot_allocate_throws_to_its_awaiter) {
  brigade::event_loop loop({.backend = brigade::io_backend::epoll});
  auto awaiting = [&]() -> brigade::task<int> {
    co_await loop.schedule();
    auto t = allocating_sum(1000);  // its frame is allocated here
    fail_nth_allocation(1);         // the vector in its body fails
    try {
      (void)co_await std::move(t);
      ADD_FAILURE() << "the body's allocation did not fail";
    } catch (const std::bad_alloc&) {
      EXPECT_TRUE(disarm_allocation_failure());
    }
    co_return static_cast<int>(co_await allocating_sum(10));
  };
  EXPECT_EQ(loop.run_until(awaiting()), 45);

  auto failing = [&]() -> brigade::task<std::int64_t> {
    co_await loop.schedule();
    auto t = allocating_sum(1000);
    fail_nth_allocation(1);
    co_return co_await std::move(t);
  };
  EXPECT_THROW((void)loop.run_until(failing()), std::bad_alloc);
  EXPECT_TRUE(disarm_allocation_failure());

  // The loop goes on: several coroutines, one of which fails again, the others finish.
  std::atomic<int> finished{0};
  auto child = [&](bool fail) -> brigade::task<void> {
    co_await loop.schedule();
    auto t = allocating_sum(100);
    if (fail) fail_nth_allocation(1);
    (void)co_await std::move(t);
    finished++;
  };
  auto parent = [&]() -> brigade::task<int> {
    brigade::scope s;
    s.spawn(child(false));
    s.spawn(child(true));
    s.spawn(child(false));
    try {
      co_await s.join();
      ADD_FAILURE() << "the failing child's bad_alloc did not reach join()";
    } catch (const std::bad_alloc&) {
    }
    co_return finished.load();
  };
  EXPECT_EQ(loop.run_until(parent()), 2);
  disarm_allocation_failure();
}

// (c) Pool work that cannot allocate: pool::run, a task_group and a join branch rethrow to the
// caller, and the pool runs later work.
TEST(alloc_fault, pool_work_that_cannot_allocate_throws_to_the_caller) {
  brigade::pool pool(2);
  auto work = [] {
    std::vector<int> v(1000, 1);
    escape(v.data());
    return std::accumulate(v.begin(), v.end(), 0);
  };
  auto failing_work = [&] {
    fail_nth_allocation(1);  // on the worker, just before its own allocation
    return work();
  };

  EXPECT_THROW((void)pool.run(failing_work), std::bad_alloc);
  EXPECT_TRUE(disarm_allocation_failure());
  EXPECT_EQ(pool.run(work), 1000);

  {
    brigade::task_group g(pool);
    std::atomic<int> ran{0};
    g.run([&] {
      failing_work();
      ran++;
    });
    EXPECT_THROW(g.wait(), std::bad_alloc);
    EXPECT_TRUE(disarm_allocation_failure());
    EXPECT_EQ(ran.load(), 0);
    g.run([&] { ran += work(); });
    g.wait();
    EXPECT_EQ(ran.load(), 1000);
  }

  // The group's own submission: run() allocates the job, which fails in the caller.
  {
    brigade::task_group g(pool);
    std::atomic<int> ran{0};
    fail_nth_allocation(1);
    EXPECT_THROW(g.run([&] { ran++; }), std::bad_alloc);
    EXPECT_TRUE(disarm_allocation_failure());
    g.run([&] { ran++; });
    g.wait();
    EXPECT_EQ(ran.load(), 1);
  }

  // A join branch (either one) that throws.
  auto joined = [&](bool left) {
    return pool.run([&] {
      return left ? brigade::join(failing_work, work) : brigade::join(work, failing_work);
    });
  };
  EXPECT_THROW((void)joined(true), std::bad_alloc);
  disarm_allocation_failure();
  EXPECT_THROW((void)joined(false), std::bad_alloc);
  disarm_allocation_failure();
  auto [a, b] = pool.run([&] { return brigade::join(work, work); });
  EXPECT_EQ(a + b, 2000);
}

// Nested joins, n deep on the calling worker: each leaves its second branch in the deque while
// the first goes deeper, so more than 256 of them (the deque's first ring) make it grow.
int nested_joins(int n) {
  if (n == 0) return 0;
  auto [deeper, one] = brigade::join([n] { return nested_joins(n - 1); }, [] { return 1; });
  return deeper + one;
}

// (c2) A join whose deque is full and cannot grow (no memory for a bigger ring): it runs both
// branches on the caller, one after the other, and the answer is the same. Before, the failed
// growth escaped a noexcept push and ended the process.
TEST(alloc_fault, a_join_whose_deque_cannot_grow_runs_both_branches_itself) {
  brigade::pool pool(1);  // nobody steals: every pending branch stays in the deque
  EXPECT_EQ(pool.run([] {
    fail_nth_allocation(1);  // the first allocation in there: the deque's bigger ring
    return nested_joins(300);
  }),
            300);
  EXPECT_TRUE(disarm_allocation_failure());                    // it was armed, and it fired
  EXPECT_EQ(pool.run([] { return nested_joins(300); }), 300);  // the deque grows now
}

// (c3) The other users of a worker's deque, when it is full and cannot grow: a task_group's
// task and a submitted function go to the pool's injection queue, a ready graph task runs on
// the worker that made it ready. Each failure is armed right before the deque's growth; before,
// each of them ended the process there.
// Each part has a pool of its own (one worker: nobody steals, the jobs stay in its deque),
// since the run after the failed one grows the deque.
TEST(alloc_fault, tasks_futures_and_graph_tasks_whose_deque_cannot_grow_still_run) {
  // A task_group: 256 tasks fill the deque's first ring; the next run() allocates its job
  // (allocation 1), then the bigger ring (2).
  brigade::pool pool(1);
  EXPECT_EQ(pool.run([] {
    std::atomic<int> ran{0};
    brigade::task_group g;
    for (int i = 0; i < 256; ++i) g.run([&] { ran++; });
    fail_nth_allocation(2);
    for (int i = 0; i < 44; ++i) g.run([&] { ran++; });
    g.wait();
    return ran.load();
  }),
            300);
  EXPECT_TRUE(disarm_allocation_failure());

  // submit: the next one allocates its shared state (1), its job (2), then the bigger ring (3).
  brigade::pool pool2(1);
  auto futures = pool2.run([] {
    std::vector<brigade::future<int>> fs;
    fs.reserve(300);
    for (int i = 0; i < 256; ++i) fs.push_back(brigade::submit([] { return 1; }));
    fail_nth_allocation(3);
    for (int i = 0; i < 44; ++i) fs.push_back(brigade::submit([] { return 1; }));
    return fs;
  });
  EXPECT_TRUE(disarm_allocation_failure());
  int sum = 0;
  for (auto& f : futures) sum += f.get();  // off the pool: the worker runs them meanwhile
  EXPECT_EQ(sum, 300);

  // A task graph: one task precedes 300; when it ends they are all ready, and the worker
  // queues all but one of them. Running them allocates nothing, so the first allocation after
  // the first task is the deque's growth.
  brigade::pool pool3(1);
  std::atomic<int> ran{0};
  brigade::task_graph graph;
  bool arm = true;
  auto first = graph.add([&] {
    if (arm) fail_nth_allocation(1);
  });
  for (int i = 0; i < 300; ++i) first.precede(graph.add([&] { ran++; }));
  graph.run(pool3);
  EXPECT_TRUE(disarm_allocation_failure());
  EXPECT_EQ(ran.load(), 300);
  arm = false;
  graph.run(pool3);  // and again, with room to grow
  EXPECT_EQ(ran.load(), 600);
}

// (c4) The pool's injection queue links jobs through themselves: queueing from outside the
// pool allocates nothing beyond the task itself (a std::deque took a block per 64 jobs, so a
// noexcept caller such as `co_await pool.schedule()` could end the process there).
TEST(alloc_fault, queueing_from_outside_a_pool_allocates_only_the_task) {
  brigade::pool pool(1);
  brigade::task_group g(pool);
  std::atomic<int> ran{0};
  const std::int64_t before = allocations();
  for (int i = 0; i < 1000; ++i) g.run([&] { ran++; });
  const std::int64_t made = allocations() - before;
  g.wait();
  EXPECT_EQ(ran.load(), 1000);
  EXPECT_EQ(made, 1000);  // one job each
}

// ---- (d) sweeps: fail allocation N of a small program, for N = 1, 2, ... until a run makes
// fewer than N allocations. Each run must complete or throw std::bad_alloc: a crash, a
// std::terminate or a hang fails the test (the ctest timeout), a leak fails it under LSan.

// What one run of a swept program did.
enum class outcome { completed, threw_bad_alloc };

template <class Program>
void sweep(Program program, std::int64_t max_n) {
  int completed = 0;
  int threw = 0;
  std::int64_t n = 1;
  for (; n <= max_n; ++n) {
    fail_nth_allocation(n);
    outcome o;
    try {
      program();
      o = outcome::completed;
    } catch (const std::bad_alloc&) {
      o = outcome::threw_bad_alloc;
    }
    const bool fired = disarm_allocation_failure();
    if (!fired) {  // the program made fewer than n allocations: every one was failed
      EXPECT_EQ(o, outcome::completed) << "bad_alloc without the injected failure, n = " << n;
      break;
    }
    (o == outcome::threw_bad_alloc ? threw : completed)++;
  }
  EXPECT_LE(n, max_n) << "the program still allocates after " << max_n << " allocations";
  EXPECT_GT(threw, 0);
  std::printf(
      "sweep: allocations 1 to %lld failed in turn, one per run: %d runs threw "
      "bad_alloc, %d completed all the same\n",
      static_cast<long long>(n - 1), threw, completed);
  program();  // and after all that, a clean run
}

// A loop with a producer and a consumer over a channel, under a scope, plus a timerless yield.
std::int64_t loop_program() {
  brigade::event_loop loop({.backend = brigade::io_backend::epoll});
  brigade::channel<std::unique_ptr<int>> ch(1);
  std::int64_t sum = 0;
  auto producer = [&]() -> brigade::task<void> {
    for (int i = 1; i <= 5; ++i) {
      co_await loop.schedule();
      co_await ch.send(std::make_unique<int>(i));
    }
    ch.close();
  };
  auto consumer = [&]() -> brigade::task<void> {
    while (auto v = co_await ch.receive()) sum += **v;
  };
  auto root = [&]() -> brigade::task<void> {
    loop.post([&] { sum += 100; });
    brigade::scope s;
    s.spawn(consumer());
    std::exception_ptr failed;
    try {
      s.spawn(producer());
    } catch (...) {
      failed = std::current_exception();
      ch.close();  // else the consumer waits for ever
    }
    co_await s.join();  // a scope is always joined
    if (failed) std::rethrow_exception(failed);
  };
  loop.run_until(root());
  return sum;
}

TEST(alloc_fault_sweep, a_loop_with_coroutines_and_a_channel) {
  EXPECT_EQ(loop_program(), 115);
  sweep([] { (void)loop_program(); }, 2000);
}

void pool_program(brigade::pool& pool) {
  std::vector<std::unique_ptr<int>> v(64);
  brigade::parallel_for(0, v.size(), [&](std::size_t i) { v[i] = std::make_unique<int>(1); },
                        {.grain = 4, .pool = &pool});
  brigade::task_group g(pool);
  for (int i = 0; i < 4; ++i) g.run([] { escape(std::make_unique<int>(1).get()); });
  g.wait();
}

TEST(alloc_fault_sweep, a_pool_with_parallel_for_and_a_task_group) {
  brigade::pool pool(2);
  sweep([&] { pool_program(pool); }, 2000);
}

TEST(alloc_fault_sweep, a_pool_made_and_destroyed_around_its_work) {
  sweep(
      [] {
        brigade::pool pool(2);
        pool_program(pool);
      },
      2000);
}

// A simulation: spawned tasks that yield and sleep, and a channel between two of them. Every
// wake-up goes through the simulator's queue of runnable coroutines, which grows as it fills.
brigade::task<void> sim_stepper(std::string& order, char name) {
  for (int i = 0; i < 6; ++i) {
    order += name;
    co_await brigade::yield();
  }
  co_await brigade::sleep_for(std::chrono::milliseconds(name));
  order += name;
}

brigade::task<void> sim_yielder() {
  for (int i = 0; i < 3; ++i) co_await brigade::yield();
}

brigade::task<void> sim_sender(brigade::channel<int>& ch) {
  for (int i = 1; i <= 5; ++i) co_await ch.send(i);
  ch.close();
}

std::string sim_program() {
  std::string order;
  brigade::channel<int> ch(1);
  brigade::sim::run(7, [&]() -> brigade::task<void> {
    for (char name : {'a', 'b', 'c', 'd', 'e'}) brigade::spawn(sim_stepper(order, name));
    brigade::spawn(sim_sender(ch));
    int sum = 0;
    while (auto v = co_await ch.receive()) sum += *v;
    order += std::to_string(sum);
    // More runnable coroutines than tasks the simulator keeps: a scope's children are not its
    // own, so waking them grows its queue of runnable coroutines from resume_later.
    brigade::scope children;
    std::exception_ptr failed;
    try {
      for (int i = 0; i < 40; ++i) children.spawn(sim_yielder());
    } catch (...) {
      failed = std::current_exception();
    }
    co_await children.join();  // a scope is always joined
    if (failed) std::rethrow_exception(failed);
  });
  return order;
}

TEST(alloc_fault_sweep, a_simulation_with_spawned_tasks_and_a_channel) {
  const std::string clean = sim_program();
  EXPECT_EQ(clean.size(), 5u * 7u + 2u) << clean;  // 7 steps of 5 tasks, and "15"
  sweep([] { (void)sim_program(); }, 2000);
}

}  // namespace
