// brigade::semaphore, brigade::latch and the parker they sleep on, under real contention:
// sleeping threads compete with barging ones, with timeouts, stop requests and waiting
// coroutines mixed in. No permit is lost or made up (the count at the end is the initial one,
// and never more holders than permits), no sleeper is forgotten (a lost wake-up hangs: the
// test's timeout catches it). Prints its seed; sizes scale with BRIGADE_STRESS_SCALE.
#include <brigade/core/errors.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/core/task.hpp>
#include <brigade/sync/detail/waiter.hpp>
#include <brigade/sync/latch.hpp>
#include <brigade/sync/semaphore.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <stop_token>
#include <thread>
#include <vector>

namespace {

using brigade::testing::scaled;
using brigade::testing::test_seed;

// Holders of a k-permit semaphore, checked on entry: never more than k at once.
struct holders {
  std::atomic<int> inside{0};
  std::atomic<bool> over{false};
  int permits;
  void enter() {
    if (inside.fetch_add(1) + 1 > permits) over.store(true);
  }
  void leave() { inside.fetch_sub(1); }
};

TEST(semaphore_stress, barging_threads_with_timeouts_and_stops_lose_no_permit) {
  const unsigned base = test_seed(41);
  for (std::size_t round = 0; round < scaled(12); ++round) {
    const unsigned seed = base + static_cast<unsigned>(round);
    const int permits = 1 + static_cast<int>(seed % 3);
    const int threads = 2 + static_cast<int>(seed % 5);  // 2..6 on 2 cores: sleepers
    brigade::semaphore sem(permits);
    holders h{.permits = permits};
    std::stop_source stops;
    std::atomic<bool> done{false};
    const long per_thread = static_cast<long>(scaled(4000));
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        std::mt19937 gen(seed * 16 + static_cast<unsigned>(t));
        for (long i = 0; i < per_thread; ++i) {
          bool got = true;
          switch (gen() % 5) {
            case 0:
            case 1:
              sem.blocking_acquire();
              break;
            case 2:
              got = sem.try_acquire_for(std::chrono::microseconds(gen() % 60));
              break;
            case 3:
              got = sem.blocking_acquire(stops.get_token());
              break;
            default:
              got = sem.try_acquire();
              break;
          }
          if (!got) continue;
          h.enter();
          if (gen() % 8 == 0) std::this_thread::yield();  // hold it a little longer
          h.leave();
          sem.release();
        }
      });
    // A stopper: the stop token of case 3 fires at a random moment (then every such wait takes a
    // free permit or returns false at once).
    std::thread stopper([&] {
      std::mt19937 gen(seed);
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(gen() % 5000);
      while (!done.load() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
      stops.request_stop();
    });
    for (auto& t : ts) t.join();
    done.store(true);
    stopper.join();
    ASSERT_FALSE(h.over.load()) << "more holders than permits; seed " << seed;
    ASSERT_EQ(sem.available(), permits) << "seed " << seed;
  }
}

TEST(semaphore_stress, coroutines_and_threads_share_permits) {
  const unsigned base = test_seed(43);
  for (std::size_t round = 0; round < scaled(8); ++round) {
    const unsigned seed = base + static_cast<unsigned>(round);
    const int permits = 1 + static_cast<int>(seed % 2);
    brigade::semaphore sem(permits);
    holders h{.permits = permits};
    const long per_party = static_cast<long>(scaled(3000));
    std::vector<std::thread> ts;
    // Coroutine waiters (resumed inline by the releasing thread: no resume context) and
    // blocking threads on the one semaphore.
    for (int t = 0; t < 2; ++t)
      ts.emplace_back([&] {
        auto body = [&]() -> brigade::task<> {
          for (long i = 0; i < per_party; ++i) {
            co_await sem.acquire();
            h.enter();
            h.leave();
            sem.release();
          }
        };
        brigade::sync_wait(body());
      });
    for (int t = 0; t < 3; ++t)
      ts.emplace_back([&, t] {
        std::mt19937 gen(seed * 8 + static_cast<unsigned>(t));
        for (long i = 0; i < per_party; ++i) {
          if (gen() % 4 == 0) {
            if (!sem.try_acquire_for(std::chrono::microseconds(gen() % 40))) continue;
          } else {
            sem.blocking_acquire();
          }
          h.enter();
          h.leave();
          sem.release();
        }
      });
    for (auto& t : ts) t.join();
    ASSERT_FALSE(h.over.load()) << "seed " << seed;
    ASSERT_EQ(sem.available(), permits) << "seed " << seed;
  }
}

TEST(semaphore_stress, release_many_wakes_enough_sleepers) {
  // release(n) with n sleepers must let all n through, even when bargers take some permits.
  const unsigned base = test_seed(47);
  for (std::size_t round = 0; round < scaled(200); ++round) {
    const unsigned seed = base + static_cast<unsigned>(round);
    const int n = 1 + static_cast<int>(seed % 5);
    brigade::semaphore sem(0);
    std::vector<std::thread> ts;
    for (int t = 0; t < n; ++t) ts.emplace_back([&] { sem.blocking_acquire(); });
    std::thread barger([&] {
      std::mt19937 gen(seed);
      for (int i = 0; i < 50; ++i)
        if (sem.try_acquire()) sem.release();
    });
    sem.release(n);
    for (auto& t : ts) t.join();
    barger.join();
    ASSERT_EQ(sem.available(), 0) << "seed " << seed;
  }
}

TEST(latch_stress, waiters_of_every_kind_see_it_open) {
  const unsigned base = test_seed(53);
  for (std::size_t round = 0; round < scaled(300); ++round) {
    const unsigned seed = base + static_cast<unsigned>(round);
    std::mt19937 gen(seed);
    const int counters = 1 + static_cast<int>(gen() % 4);
    const int waiters = 1 + static_cast<int>(gen() % 4);
    brigade::latch l(counters * 2);
    std::atomic<int> opened{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < counters; ++t)
      ts.emplace_back([&, t] {
        if ((seed + static_cast<unsigned>(t)) % 2 == 0) {
          l.count_down(2);
        } else {
          l.count_down();
          l.arrive_and_wait();
          opened.fetch_add(1);
        }
      });
    for (int t = 0; t < waiters; ++t)
      ts.emplace_back([&, t] {
        switch ((seed + static_cast<unsigned>(t)) % 3) {
          case 0:
            l.wait();
            break;
          case 1:
            while (!l.wait_for(std::chrono::microseconds(20))) {
            }
            break;
          default: {
            auto body = [&]() -> brigade::task<> { co_await l; };
            brigade::sync_wait(body());
            break;
          }
        }
        opened.fetch_add(1);
      });
    for (auto& t : ts) t.join();
    ASSERT_TRUE(l.try_wait()) << "seed " << seed;
    EXPECT_THROW(l.count_down(), std::invalid_argument);
  }
}

TEST(parker_stress, notify_racing_wait_and_timeouts) {
  // One parker per iteration, on the waiter's stack (so the next one reuses the address a late
  // futex wake may hit): waits, timed waits that time out and then wait, against notifies
  // after random delays.
  const unsigned seed = test_seed(59);
  const long iterations = static_cast<long>(scaled(20000));
  std::atomic<brigade::detail::parker*> slot{nullptr};
  std::atomic<bool> stop{false};
  std::thread notifier([&] {
    std::mt19937 gen(seed + 1);
    while (!stop.load()) {
      brigade::detail::parker* p = slot.exchange(nullptr);
      if (p == nullptr) continue;
      for (unsigned i = gen() % 300; i > 0; --i) brigade::detail::cpu_relax();
      p->notify();
    }
  });
  std::mt19937 gen(seed);
  for (long i = 0; i < iterations; ++i) {
    brigade::detail::parker p;
    slot.store(&p);
    if (gen() % 2 == 0) {
      p.wait();
    } else if (!p.wait_until(std::chrono::steady_clock::now() +
                             std::chrono::microseconds(gen() % 20))) {
      p.wait();  // the notify is still coming: p must outlive it
    }
  }
  stop.store(true);
  notifier.join();
}

}  // namespace
