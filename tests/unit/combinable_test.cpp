// brigade::combinable: one value per thread (created once, from init, on that thread), combined
// and visited once each; clear() and a new combinable never see an old thread's cached slot.
#include <brigade/par/parallel_for.hpp>
#include <brigade/pool/combinable.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/pool/task_group.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

TEST(combinable, sums_per_thread_counts_of_a_parallel_loop) {
  for (unsigned threads : {1u, 2u, 4u}) {
    brigade::pool p(threads);
    brigade::combinable<long> hits;
    brigade::parallel_for(0, 100'000, [&](int i) { hits.local() += i % 3 == 0; }, {.pool = &p});
    EXPECT_EQ(hits.combine(std::plus<>()), 33'334) << threads << " threads";
    EXPECT_GE(hits.size(), 1u);
    EXPECT_LE(hits.size(), threads + 1);  // the workers, and the caller if it helped
  }
}

TEST(combinable, each_thread_gets_its_own_value_made_by_init_on_that_thread) {
  std::atomic<int> inits{0};
  brigade::combinable<std::thread::id> mine([&] {
    inits.fetch_add(1);
    return std::this_thread::get_id();
  });
  std::vector<std::thread> ts;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 6; ++t)
    ts.emplace_back([&] {
      for (int k = 0; k < 1000; ++k) {
        bool exists = true;
        std::thread::id& v = mine.local(exists);
        if (v != std::this_thread::get_id() || exists != (k > 0)) wrong.fetch_add(1);
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(inits.load(), 6);
  std::set<std::thread::id> seen;
  mine.combine_each([&](const std::thread::id& id) { EXPECT_TRUE(seen.insert(id).second); });
  EXPECT_EQ(seen.size(), 6u);
}

TEST(combinable, with_no_values_combine_returns_init) {
  brigade::combinable<std::string> words([] { return std::string("none"); });
  EXPECT_EQ(words.combine([](std::string a, const std::string& b) { return a + b; }), "none");
  EXPECT_EQ(words.size(), 0u);
}

TEST(combinable, clear_starts_every_thread_again) {
  brigade::combinable<int> c;
  c.local() = 5;
  c.clear();
  EXPECT_EQ(c.size(), 0u);
  bool exists = true;
  EXPECT_EQ(c.local(exists), 0);  // a cached slot of the old values would say 5 (and be freed)
  EXPECT_FALSE(exists);
  EXPECT_EQ(c.size(), 1u);
}

TEST(combinable, many_combinables_on_one_thread_keep_their_values_apart) {
  // More than the per-thread cache holds: evicted entries are found again, not recreated.
  std::vector<std::unique_ptr<brigade::combinable<int>>> cs;
  for (int i = 0; i < 50; ++i) cs.push_back(std::make_unique<brigade::combinable<int>>());
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 50; ++i) cs[static_cast<std::size_t>(i)]->local() += i;
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(cs[static_cast<std::size_t>(i)]->combine(std::plus<>()), 3 * i);
    EXPECT_EQ(cs[static_cast<std::size_t>(i)]->size(), 1u);
  }
}

TEST(combinable, a_new_combinable_never_sees_a_destroyed_ones_slot) {
  brigade::pool p(4);
  for (int round = 0; round < 200; ++round) {
    brigade::combinable<long> c;  // often at the address of the last round's
    brigade::parallel_for(0, 64, [&](int) { ++c.local(); }, {.grain = 1, .pool = &p});
    ASSERT_EQ(c.combine(std::plus<>()), 64) << "round " << round;
  }
}

}  // namespace
