// brigade::combinable under contention: many threads take their first local() at once (racing
// pushes onto the list of values), on many combinables created and destroyed in a row, mixed
// with task_group tasks; no value is lost or shared. Prints its seed; sizes scale with
// BRIGADE_STRESS_SCALE.
#include <brigade/pool/combinable.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/pool/task_group.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <barrier>
#include <functional>
#include <random>
#include <thread>
#include <vector>

namespace {

using brigade::testing::scaled;
using brigade::testing::test_seed;

TEST(combinable_stress, racing_first_locals_lose_nothing) {
  const unsigned seed = test_seed(57);
  std::mt19937 rng(seed);
  for (std::size_t round = 0; round < scaled(200); ++round) {
    const int threads = 2 + static_cast<int>(rng() % 7);
    const int per_thread = 1 + static_cast<int>(rng() % 500);
    brigade::combinable<long> c;
    std::barrier start(threads);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&] {
        start.arrive_and_wait();  // every first local() at the same moment
        for (int i = 0; i < per_thread; ++i) ++c.local();
      });
    for (auto& t : ts) t.join();
    ASSERT_EQ(c.combine(std::plus<>()), static_cast<long>(threads) * per_thread)
        << "seed " << seed << " round " << round;
    ASSERT_EQ(c.size(), static_cast<std::size_t>(threads)) << "seed " << seed;
  }
}

TEST(combinable_stress, task_group_tasks_on_short_lived_combinables) {
  const unsigned seed = test_seed(58);
  std::mt19937 rng(seed);
  brigade::pool p(4);
  for (std::size_t round = 0; round < scaled(300); ++round) {
    const int tasks = 1 + static_cast<int>(rng() % 64);
    brigade::combinable<int> a, b([] { return 100; });
    brigade::task_group tg(p);
    for (int k = 0; k < tasks; ++k)
      tg.run([&] {
        ++a.local();
        b.local() += 1;
      });
    tg.wait();
    ASSERT_EQ(a.combine(std::plus<>()), tasks) << "seed " << seed << " round " << round;
    ASSERT_EQ(b.combine(std::plus<>()), tasks + 100 * static_cast<int>(b.size()))
        << "seed " << seed;
    if (rng() % 2 == 0) a.clear();
  }
}

}  // namespace
