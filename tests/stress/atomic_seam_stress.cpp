// The atomics seam itself (core/detail/atomic.hpp): its operations return what std::atomic's
// return, and threads racing increments through each kind of read-modify-write lose none. Most
// useful in the schedule-fuzzing builds, where detail::atomic is the perturbing wrapper.
#include <brigade/core/detail/atomic.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

namespace {

using brigade::detail::atomic;

TEST(atomic_seam, operations_return_what_std_atomic_returns) {
  static_assert(sizeof(atomic<std::uint32_t>) == sizeof(std::uint32_t));
  atomic<std::uint8_t> a{250};
  EXPECT_EQ(a.fetch_add(3), 250);
  EXPECT_EQ(++a, 254);
  EXPECT_EQ(a++, 254);
  EXPECT_EQ(a += 1, 0);  // wraps, as std::atomic<uint8_t> does
  EXPECT_EQ(--a, 255);
  EXPECT_EQ(a--, 255);
  EXPECT_EQ(a -= 4, 250);
  EXPECT_EQ(a.fetch_sub(10), 250);
  EXPECT_EQ(a |= 0x0f, 0xff);
  EXPECT_EQ(a &= 0x3c, 0x3c);
  EXPECT_EQ(a ^= 0x0f, 0x33);
  EXPECT_EQ(a.fetch_and(0x0f), 0x33);
  EXPECT_EQ(a.fetch_or(0x10), 0x03);
  EXPECT_EQ(a.fetch_xor(0x01), 0x13);
  EXPECT_EQ(a.exchange(7), 0x12);
  std::uint8_t expected = 6;
  EXPECT_FALSE(a.compare_exchange_strong(expected, 9));
  EXPECT_EQ(expected, 7);
  EXPECT_TRUE(a.compare_exchange_strong(expected, 9, brigade::detail::memory_order_acq_rel,
                                        brigade::detail::memory_order_acquire));
  a.store(11, brigade::detail::memory_order_release);
  EXPECT_EQ(a.load(brigade::detail::memory_order_acquire), 11);
  a = 12;
  EXPECT_EQ(static_cast<std::uint8_t>(a), 12);

  int xs[4] = {};
  atomic<int*> p{xs};
  EXPECT_EQ(++p, xs + 1);
  EXPECT_EQ(p.fetch_add(2), xs + 1);
  EXPECT_EQ(p -= 3, xs);

  atomic<bool> b{false};
  b.store(true);
  b.notify_all();  // nobody waits; must not block
  b.wait(false);   // the value differs: returns at once
  EXPECT_TRUE(b.exchange(false));
}

TEST(atomic_seam, racing_increments_lose_nothing) {
  const std::size_t per_thread = brigade::testing::scaled(20000);
  constexpr int threads = 4;
  atomic<std::uint64_t> count{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (std::size_t i = 0; i < per_thread; ++i) {
        switch ((i + static_cast<std::size_t>(t)) % 3) {
          case 0:
            count.fetch_add(1, brigade::detail::memory_order_relaxed);
            break;
          case 1:
            ++count;
            break;
          default: {
            std::uint64_t v = count.load(brigade::detail::memory_order_relaxed);
            while (!count.compare_exchange_weak(v, v + 1, brigade::detail::memory_order_relaxed)) {
            }
          }
        }
      }
    });
  }
  for (auto& th : ts) th.join();
  EXPECT_EQ(count.load(), per_thread * threads);
}

}  // namespace
