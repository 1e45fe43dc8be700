// brigade::mutex and timed_mutex under real contention, with sleepers that give up (timeouts)
// mixed in: no update is lost, no sleeper is forgotten (a lost wake-up would hang: the test's
// timeout catches it). Prints its seed; sizes scale with BRIGADE_STRESS_SCALE.
#include <brigade/sync/mutex.hpp>
#include <brigade/sync/shared_mutex.hpp>
#include <brigade/sync/timed_mutex.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

namespace {

using brigade::testing::scaled;
using brigade::testing::test_seed;

TEST(mutex_stress, contended_lock_unlock_loses_nothing) {
  const unsigned seed = test_seed(31);
  for (std::size_t round = 0; round < scaled(8); ++round) {
    brigade::mutex m("stress");
    long counter = 0;
    const int threads = 2 + static_cast<int>((seed + round) % 5);  // 2..6 on 2 cores: sleepers
    const long per_thread = static_cast<long>(scaled(20000));
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&] {
        for (long i = 0; i < per_thread; ++i) {
          m.lock();
          ++counter;
          m.unlock();
        }
      });
    for (auto& t : ts) t.join();
    ASSERT_EQ(counter, threads * per_thread) << "seed " << seed << " round " << round;
  }
}

TEST(mutex_stress, timeouts_mixed_with_waiters_forget_no_sleeper) {
  const unsigned base = test_seed(37);
  for (std::size_t round = 0; round < scaled(6); ++round) {
    const unsigned seed = base + static_cast<unsigned>(round);
    brigade::timed_mutex m("timed stress");
    long counter = 0;
    const int threads = 4;
    const long per_thread = static_cast<long>(scaled(3000));
    std::vector<long> done(threads, 0);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        std::mt19937 gen(seed * 8 + static_cast<unsigned>(t));
        for (long i = 0; i < per_thread; ++i) {
          bool got = true;
          switch (gen() % 3) {
            case 0:
              m.lock();
              break;
            case 1:
              got = m.try_lock_for(std::chrono::microseconds(gen() % 50));
              break;
            default:
              got = m.try_lock();
              break;
          }
          if (!got) continue;
          ++counter;
          ++done[t];
          if (gen() % 8 == 0) std::this_thread::yield();  // hold it a little longer
          m.unlock();
        }
      });
    for (auto& t : ts) t.join();
    long expected = 0;
    for (long d : done) expected += d;
    ASSERT_EQ(counter, expected) << "seed " << seed;
    ASSERT_TRUE(m.try_lock()) << "seed " << seed;  // free at the end
    m.unlock();
  }
}

TEST(mutex_stress, shared_mutex_readers_writers_and_timeouts) {
  const unsigned base = test_seed(41);
  for (std::size_t round = 0; round < scaled(6); ++round) {
    const unsigned seed = base + static_cast<unsigned>(round);
    brigade::shared_mutex m("rw stress");
    std::atomic<int> readers_in{0}, writers_in{0};
    long counter = 0;
    std::atomic<long> writes{0};
    std::atomic<bool> broken{false};
    const long per_thread = static_cast<long>(scaled(3000));
    std::vector<std::thread> ts;
    for (int t = 0; t < 5; ++t)
      ts.emplace_back([&, t] {
        std::mt19937 gen(seed * 8 + static_cast<unsigned>(t));
        for (long i = 0; i < per_thread; ++i) {
          const unsigned pick = gen() % 4;
          const bool write = pick < 2;
          bool got = true;
          if (write) {
            got = pick == 0 ? (m.lock(), true)
                            : m.try_lock_for(std::chrono::microseconds(gen() % 50));
          } else {
            got = pick == 2 ? (m.lock_shared(), true)
                            : m.try_lock_shared_for(std::chrono::microseconds(gen() % 50));
          }
          if (!got) continue;
          if (write) {
            if (writers_in.fetch_add(1) != 0 || readers_in.load() != 0) broken = true;
            ++counter;
            writes.fetch_add(1);
            writers_in.fetch_sub(1);
            m.unlock();
          } else {
            readers_in.fetch_add(1);
            if (writers_in.load() != 0) broken = true;
            readers_in.fetch_sub(1);
            m.unlock_shared();
          }
        }
      });
    for (auto& t : ts) t.join();
    ASSERT_FALSE(broken.load()) << "seed " << seed;
    ASSERT_EQ(counter, writes.load()) << "seed " << seed;
    ASSERT_TRUE(m.try_lock()) << "seed " << seed;
    m.unlock();
  }
}

}  // namespace
