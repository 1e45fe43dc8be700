// Randomized stress for fork-join: big random nested trees mixing join, parallel_invoke,
// parallel_for, reduce and task_group; exceptions thrown from random leaves; many callers.
// Sizes scale with BRIGADE_STRESS_SCALE; seeds are printed and replayable with BRIGADE_SEED.
#include <brigade/brigade.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using brigade::testing::scaled;
using brigade::testing::test_seed;

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

// A random tree defined by its seed: each node has 0-4 children until the budget runs out.
struct tree {
  std::uint64_t seed;
  std::uint64_t throw_one_in;  // 0: no leaf throws

  std::size_t children(std::uint64_t id, std::size_t budget) const {
    if (budget <= 1) return 0;
    return static_cast<std::size_t>(mix(id ^ seed) % 5);
  }
  bool throws(std::uint64_t id) const {
    return throw_one_in != 0 && mix(id * 31 + seed) % throw_one_in == 0;
  }
  // Splits a budget among k children: deterministic.
  static std::size_t share(std::size_t budget, std::size_t k, std::size_t i) {
    const std::size_t rest = budget - 1;
    return rest / k + (i < rest % k ? 1 : 0);
  }

  std::size_t serial_count(std::uint64_t id, std::size_t budget, bool& threw) const {
    const std::size_t k = children(id, budget);
    if (k == 0) {
      if (throws(id)) threw = true;
      return 1;
    }
    std::size_t total = 1;
    for (std::size_t i = 0; i < k; ++i)
      total += serial_count(id * 5 + i + 1, share(budget, k, i), threw);
    return total;
  }

  // Parallel count: the node id picks the fork-join construct.
  std::size_t count(std::uint64_t id, std::size_t budget) const {
    const std::size_t k = children(id, budget);
    if (k == 0) {
      if (throws(id)) throw std::runtime_error("leaf " + std::to_string(id));
      return 1;
    }
    auto child = [&](std::size_t i) { return count(id * 5 + i + 1, share(budget, k, i)); };
    switch (mix(id + 7) % 4) {
      case 0: {  // a chain of joins
        std::size_t total = 1;
        for (std::size_t i = 0; i + 1 < k; i += 2) {
          auto [a, b] = brigade::join([&] { return child(i); }, [&] { return child(i + 1); });
          total += a + b;
        }
        if (k % 2 == 1) total += child(k - 1);
        return total;
      }
      case 1: {  // parallel_for with atomics
        std::atomic<std::size_t> total{1};
        brigade::parallel_for(0, k, [&](std::size_t i) { total += child(i); });
        return total.load();
      }
      case 2:  // reduce
        return 1 + brigade::parallel_reduce(
                       std::size_t{0}, k, std::size_t{0},
                       [&](std::size_t b, std::size_t e, std::size_t acc) {
                         for (std::size_t i = b; i < e; ++i) acc += child(i);
                         return acc;
                       },
                       [](std::size_t a, std::size_t b) { return a + b; });
      default: {  // task_group
        std::vector<std::size_t> parts(k);
        brigade::task_group tg;
        for (std::size_t i = 0; i < k; ++i) tg.run([&, i] { parts[i] = child(i); });
        tg.wait();
        std::size_t total = 1;
        for (auto p : parts) total += p;
        return total;
      }
    }
  }
};

TEST(fork_join_stress, random_trees_of_a_million_tasks) {
  const unsigned seed = test_seed(20261126);
  brigade::pool p(4);
  for (unsigned round = 0; round < 3; ++round) {
    const tree t{seed + round, 0};
    const std::size_t budget = scaled(1'000'000);
    bool threw = false;
    const std::size_t expected = t.serial_count(1, budget, threw);
    ASSERT_FALSE(threw);
    EXPECT_EQ(p.run([&] { return t.count(1, budget); }), expected) << "seed " << seed + round;
  }
}

TEST(fork_join_stress, exceptions_from_random_leaves_always_arrive) {
  const unsigned seed = test_seed(7);
  brigade::pool p(4);
  const std::size_t rounds = scaled(200);
  for (std::size_t round = 0; round < rounds; ++round) {
    const tree t{seed + round, 50 + round % 200};
    const std::size_t budget = scaled(20'000);
    bool should_throw = false;
    const std::size_t expected = t.serial_count(1, budget, should_throw);
    try {
      const std::size_t got = p.run([&] { return t.count(1, budget); });
      EXPECT_FALSE(should_throw) << "lost exception, seed " << seed + round;
      EXPECT_EQ(got, expected);
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(should_throw) << "unexpected " << e.what();
      EXPECT_EQ(std::string(e.what()).rfind("leaf ", 0), 0u);
    }
  }
}

TEST(fork_join_stress, eight_external_threads_submit_at_once) {
  const unsigned seed = test_seed(99);
  brigade::pool p(3);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (unsigned th = 0; th < 8; ++th)
    threads.emplace_back([&, th] {
      for (std::size_t r = 0; r < scaled(30); ++r) {
        const tree t{seed * 8 + th + static_cast<unsigned>(r), 0};
        bool threw = false;
        const std::size_t budget = 2000 + 100 * th;
        const std::size_t expected = t.serial_count(1, budget, threw);
        // Half on the explicit pool, half on the global one.
        const std::size_t got =
            th % 2 == 0 ? p.run([&] { return t.count(1, budget); }) : t.count(1, budget);
        if (got != expected) wrong++;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
