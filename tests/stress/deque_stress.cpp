// The Chase–Lev deque under real contention: one owner pushing and popping at random, several
// thieves stealing; every job must be taken exactly once, across many seeds and sizes
// (growth included).
#include <brigade/pool/detail/chase_lev_deque.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

namespace {

using brigade::testing::scaled;
using brigade::testing::test_seed;

struct item final : brigade::detail::job {
  item() : job([](job&) noexcept {}) {}
  std::atomic<int> taken{0};
};

void run_round(unsigned seed, std::size_t jobs, int thieves, std::size_t initial_capacity) {
  brigade::detail::chase_lev_deque d(initial_capacity);
  std::vector<item> items(jobs);
  std::atomic<bool> done{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < thieves; ++t)
    ts.emplace_back([&] {
      while (!done.load(std::memory_order_acquire)) {
        if (auto r = d.steal(); r.taken != nullptr) static_cast<item*>(r.taken)->taken++;
      }
    });
  std::mt19937 gen(seed);
  std::size_t pushed = 0;
  while (pushed < jobs) {
    const auto burst = 1 + gen() % 64;
    for (std::size_t k = 0; k < burst && pushed < jobs; ++k) d.push(&items[pushed++]);
    const auto pops = gen() % 48;
    for (std::size_t k = 0; k < pops; ++k)
      if (auto* j = d.pop()) static_cast<item*>(j)->taken++;
  }
  while (auto* j = d.pop()) static_cast<item*>(j)->taken++;
  // Empty now from the owner's view; let thieves finish any steal in flight.
  done.store(true, std::memory_order_release);
  for (auto& t : ts) t.join();
  for (std::size_t i = 0; i < jobs; ++i)
    ASSERT_EQ(items[i].taken.load(), 1) << "job " << i << " seed " << seed;
}

TEST(deque_stress, every_job_taken_exactly_once) {
  const unsigned base = test_seed(1);
  const std::size_t rounds = scaled(40);
  for (std::size_t r = 0; r < rounds; ++r) {
    const unsigned seed = base + static_cast<unsigned>(r);
    run_round(seed, scaled(50'000), 1 + static_cast<int>(r % 3), r % 2 == 0 ? 2 : 256);
  }
}

}  // namespace
