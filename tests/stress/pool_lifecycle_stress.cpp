// Pools built and torn down over and over: with and without work, parked or busy, from
// several threads at once.
#include <brigade/brigade.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

using brigade::testing::scaled;

TEST(pool_lifecycle_stress, construct_and_destroy_repeatedly) {
  const std::size_t rounds = scaled(300);
  for (std::size_t r = 0; r < rounds; ++r) {
    brigade::pool p(1 + r % 6);
    if (r % 3 != 0) {
      std::atomic<int> n{0};
      brigade::parallel_for(0, 100, [&](std::size_t) { n++; }, {.pool = &p});
      ASSERT_EQ(n.load(), 100);
    }
  }
}

TEST(pool_lifecycle_stress, destroy_right_after_a_task_group_finishes) {
  const std::size_t rounds = scaled(200);
  for (std::size_t r = 0; r < rounds; ++r) {
    std::atomic<int> n{0};
    {
      brigade::pool p(3);
      brigade::task_group tg(p);
      for (int i = 0; i < 50; ++i) tg.run([&] { n++; });
      tg.wait();
    }
    ASSERT_EQ(n.load(), 50);
  }
}

TEST(pool_lifecycle_stress, pools_created_on_many_threads) {
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (std::size_t r = 0; r < scaled(50); ++r) {
        brigade::pool p(2);
        auto [a, b] = brigade::join(
            p, [] { return 1; }, [] { return 2; });
        if (a + b != 3) wrong++;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
