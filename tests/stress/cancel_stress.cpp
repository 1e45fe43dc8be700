// Races a stop request against a hand-off, many times: an async_mutex unlock or a semaphore
// release on one thread, request_stop on another, the waiter suspended on a third. Each round
// the waiter is either handed the lock/permit or cancelled, never both, and nothing is lost.
// BRIGADE_STRESS_SCALE multiplies the rounds; the seed is printed (BRIGADE_SEED replays it).
#include <brigade/core/detail/atomic.hpp>
#include <brigade/core/errors.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/core/task.hpp>
#include <brigade/sync/async_mutex.hpp>
#include <brigade/sync/semaphore.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <latch>
#include <random>
#include <stop_token>
#include <thread>

namespace {

// 500 rounds times BRIGADE_STRESS_SCALE (a fraction too: the sanitizer and schedule-fuzzing runs
// lower it).
int rounds() {
  return static_cast<int>(brigade::testing::scaled(500));
}

void spin(unsigned n) {
  for (unsigned i = 0; i < n; ++i) brigade::detail::cpu_relax();
}

// One round: `wait` runs on its own thread until it resolves; `hand_off` and a stop request
// race on two others. Returns whether the waiter got the resource.
template <class Wait, class HandOff>
bool race(Wait wait, HandOff hand_off, std::mt19937& rng) {
  std::stop_source src;
  std::latch go(3);
  std::atomic<bool> about_to_wait{false};  // the other two start racing once the waiter is near
  bool got = false;
  const unsigned d1 = rng() % 2000, d2 = rng() % 2000;
  std::thread waiter([&] {
    auto body = [&]() -> brigade::task<bool> {
      try {
        about_to_wait.store(true);
        co_await wait();
        co_return true;
      } catch (const brigade::operation_cancelled&) {
        co_return false;
      }
    };
    go.arrive_and_wait();
    got = brigade::sync_wait(brigade::with_stop_token(body(), src.get_token()));
  });
  std::thread giver([&] {
    go.arrive_and_wait();
    while (!about_to_wait.load()) std::this_thread::yield();
    spin(d1);
    hand_off();
  });
  std::thread stopper([&] {
    go.arrive_and_wait();
    while (!about_to_wait.load()) std::this_thread::yield();
    spin(d2);
    src.request_stop();
  });
  giver.join();
  stopper.join();
  waiter.join();
  return got;
}

TEST(cancel_stress, async_mutex_unlock_against_stop) {
  const unsigned seed = brigade::testing::test_seed(std::random_device{}());
  std::mt19937 rng(seed);
  brigade::async_mutex m;
  int got = 0, cancelled = 0;
  for (int i = 0, n = rounds(); i < n; ++i) {
    ASSERT_TRUE(m.try_lock());
    const bool ok = race([&]() -> brigade::task<void> { auto g = co_await m.lock(); },
                         [&] { m.unlock(); }, rng);
    // Whatever happened, the mutex is free again now: unlocked by the giver (nobody waiting),
    // or handed to the waiter, whose guard released it.
    ASSERT_TRUE(m.try_lock()) << "round " << i << (ok ? " acquired" : " cancelled");
    m.unlock();
    (ok ? got : cancelled)++;
  }
  std::printf("acquired %d, cancelled %d\n", got, cancelled);
}

TEST(cancel_stress, semaphore_release_against_stop) {
  const unsigned seed = brigade::testing::test_seed(std::random_device{}());
  std::mt19937 rng(seed);
  brigade::semaphore s(0);
  int got = 0, cancelled = 0;
  for (int i = 0, n = rounds(); i < n; ++i) {
    const bool ok =
        race([&]() -> brigade::task<void> { co_await s.acquire(); }, [&] { s.release(); }, rng);
    // The one permit went to the waiter (none left) or stayed (one left): never both, never 0+0.
    ASSERT_EQ(s.available(), ok ? 0 : 1) << "round " << i;
    if (!ok) {
      ASSERT_TRUE(s.try_acquire());
    }
    (ok ? got : cancelled)++;
  }
  std::printf("acquired %d, cancelled %d\n", got, cancelled);
}

TEST(cancel_stress, blocking_acquire_release_against_stop) {
  const unsigned seed = brigade::testing::test_seed(std::random_device{}());
  std::mt19937 rng(seed);
  brigade::semaphore s(0);
  for (int i = 0, n = rounds(); i < n; ++i) {
    std::stop_source src;
    std::latch go(3);
    bool ok = false;
    const unsigned d1 = rng() % 200, d2 = rng() % 200;
    std::thread waiter([&] {
      go.arrive_and_wait();
      ok = s.blocking_acquire(src.get_token());
    });
    std::thread giver([&] {
      go.arrive_and_wait();
      spin(d1);
      s.release();
    });
    go.arrive_and_wait();
    spin(d2);
    src.request_stop();
    giver.join();
    waiter.join();
    ASSERT_EQ(s.available(), ok ? 0 : 1) << "round " << i;
    if (!ok) {
      ASSERT_TRUE(s.try_acquire());
    }
  }
}

}  // namespace
