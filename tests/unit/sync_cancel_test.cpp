// Cancellation of brigade's sync waits: stop tokens for the blocking forms, the awaiting
// coroutine's stop token for the co_await forms, brigade::timeout on a lock wait, and the
// barrier's timed wait. Coroutine interleavings are pinned on one event loop.
#include <brigade/core/errors.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/timeout.hpp>
#include <brigade/sync/async_mutex.hpp>
#include <brigade/sync/barrier.hpp>
#include <brigade/sync/latch.hpp>
#include <brigade/sync/mutex.hpp>
#include <brigade/sync/semaphore.hpp>
#include <brigade/sync/shared_mutex.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stop_token>
#include <thread>

using namespace std::chrono_literals;

namespace {

// Runs `wait` (a task<int> that waits on something) with its own stop token on a fresh loop;
// `then` runs on the loop's next turn, once `wait` is suspended. Returns wait's value, or -1
// when it ended with operation_cancelled.
template <class Wait, class Then>
int on_loop_with_stop(Wait wait, Then then) {
  brigade::event_loop loop;
  std::stop_source src;
  auto body = [&]() -> brigade::task<int> {
    loop.post([&] { then(src); });
    try {
      co_return co_await brigade::with_stop_token(wait(), src.get_token());
    } catch (const brigade::operation_cancelled&) {
      co_return -1;
    }
  };
  return loop.run_until(body());
}

TEST(async_mutex_cancel, a_stop_request_dequeues_the_waiter) {
  brigade::async_mutex m;
  ASSERT_TRUE(m.try_lock());
  auto wait = [&]() -> brigade::task<int> {
    auto g = co_await m.lock();
    co_return 1;
  };
  EXPECT_EQ(on_loop_with_stop(wait, [](std::stop_source& s) { s.request_stop(); }), -1);
  m.unlock();  // nobody is queued any more: the lock becomes free, not handed to a ghost
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST(async_mutex_cancel, a_hand_off_before_the_stop_request_wins) {
  brigade::async_mutex m;
  ASSERT_TRUE(m.try_lock());
  auto wait = [&]() -> brigade::task<int> {
    auto g = co_await m.lock();
    co_return 1;
  };
  EXPECT_EQ(on_loop_with_stop(wait,
                              [&](std::stop_source& s) {
                                m.unlock();  // hands over to the waiter
                                s.request_stop();
                              }),
            1);
  EXPECT_TRUE(m.try_lock());  // the guard released it
  m.unlock();
}

TEST(async_mutex_cancel, a_free_lock_is_taken_even_when_stop_was_requested) {
  brigade::async_mutex m;
  std::stop_source src;
  src.request_stop();
  auto take = [&]() -> brigade::task<int> {
    auto g = co_await m.lock();
    co_return 1;
  };
  brigade::event_loop loop;
  EXPECT_EQ(loop.run_until(brigade::with_stop_token(take(), src.get_token())), 1);
}

TEST(async_mutex_cancel, a_queued_waiter_stopped_before_it_suspends_is_not_queued) {
  brigade::async_mutex m;
  ASSERT_TRUE(m.try_lock());
  std::stop_source src;
  src.request_stop();
  auto take = [&]() -> brigade::task<int> {
    auto g = co_await m.lock();
    co_return 1;
  };
  brigade::event_loop loop;
  EXPECT_THROW(loop.run_until(brigade::with_stop_token(take(), src.get_token())),
               brigade::operation_cancelled);
  m.unlock();
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST(async_mutex_cancel, timeout_bounds_a_lock_wait) {
  brigade::async_mutex m;
  ASSERT_TRUE(m.try_lock());
  brigade::event_loop loop;
  auto locked = [&]() -> brigade::task<void> { auto g = co_await m.lock(); };
  auto body = [&]() -> brigade::task<void> { co_await brigade::timeout(50ms, locked()); };
  EXPECT_THROW(loop.run_until(body()), brigade::timed_out);
  m.unlock();
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST(semaphore_cancel, a_stop_request_dequeues_the_waiter_and_keeps_the_permits) {
  brigade::semaphore s(0);
  auto wait = [&]() -> brigade::task<int> {
    co_await s.acquire();
    co_return 1;
  };
  EXPECT_EQ(on_loop_with_stop(wait, [](std::stop_source& src) { src.request_stop(); }), -1);
  s.release();
  EXPECT_EQ(s.available(), 1);  // not given to the cancelled waiter
}

TEST(semaphore_cancel, a_release_before_the_stop_request_wins) {
  brigade::semaphore s(0);
  auto wait = [&]() -> brigade::task<int> {
    co_await s.acquire();
    co_return 1;
  };
  EXPECT_EQ(on_loop_with_stop(wait,
                              [&](std::stop_source& src) {
                                s.release();
                                src.request_stop();
                              }),
            1);
  EXPECT_EQ(s.available(), 0);
}

TEST(semaphore_cancel, timeout_bounds_an_acquire) {
  brigade::semaphore s(0);
  brigade::event_loop loop;
  auto acquired = [&]() -> brigade::task<void> { co_await s.acquire(); };
  auto body = [&]() -> brigade::task<void> { co_await brigade::timeout(20ms, acquired()); };
  EXPECT_THROW(loop.run_until(body()), brigade::timed_out);
  s.release();
  EXPECT_EQ(s.available(), 1);
}

TEST(semaphore_cancel, blocking_acquire_returns_false_when_stopped) {
  brigade::semaphore s(0);
  std::stop_source src;
  std::thread t([&] { EXPECT_FALSE(s.blocking_acquire(src.get_token())); });
  src.request_stop();  // before or during the wait: false either way
  t.join();
  s.release();
  EXPECT_TRUE(s.blocking_acquire(src.get_token()));  // a free permit is taken regardless
}

TEST(latch_cancel, co_await_and_blocking_waits_end_on_stop) {
  brigade::latch l(1);
  auto wait = [&]() -> brigade::task<int> {
    co_await l;
    co_return 1;
  };
  EXPECT_EQ(on_loop_with_stop(wait, [](std::stop_source& src) { src.request_stop(); }), -1);
  std::stop_source src;
  std::thread t([&] { EXPECT_FALSE(l.wait(src.get_token())); });
  src.request_stop();
  t.join();
  l.count_down();
  EXPECT_TRUE(l.wait(src.get_token()));
}

TEST(mutex_cancel, lock_with_a_stop_token_returns_false_when_stopped) {
  brigade::mutex m;
  m.lock();
  std::stop_source src;
  std::thread t([&] { EXPECT_FALSE(m.lock(src.get_token())); });
  src.request_stop();
  t.join();
  m.unlock();
  EXPECT_TRUE(m.lock(src.get_token()));  // free: taken
  m.unlock();
}

TEST(shared_mutex_cancel, both_forms_return_false_when_stopped) {
  brigade::shared_mutex m;
  m.lock();
  std::stop_source src;
  std::thread t([&] {
    EXPECT_FALSE(m.lock_shared(src.get_token()));
    EXPECT_FALSE(m.lock(src.get_token()));
  });
  src.request_stop();
  t.join();
  m.unlock();
  EXPECT_TRUE(m.try_lock_shared());
  m.unlock_shared();
}

TEST(barrier_timed, a_timed_out_arrival_still_counts_for_its_phase) {
  brigade::barrier b(2);
  EXPECT_FALSE(b.arrive_and_wait_for(1ms));
  // The first arrival stayed counted: this one completes the phase at once.
  EXPECT_EQ(b.arrive_and_wait(), 0u);
  std::stop_source src;
  std::thread t([&] { EXPECT_FALSE(b.arrive_and_wait(src.get_token())); });
  src.request_stop();
  t.join();
  EXPECT_TRUE(b.arrive_and_wait_for(10s));  // completes phase 1 with the stopped arrival
}

TEST(barrier_timed, waiters_released_in_time_return_true) {
  brigade::barrier b(2);
  std::thread t([&] { EXPECT_TRUE(b.arrive_and_wait_for(60s)); });
  b.arrive_and_wait();
  t.join();
}

}  // namespace
