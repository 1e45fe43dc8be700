// brigade::join and parallel_invoke: results, parallelism, nesting, errors, callers.
#include <brigade/par/parallel_for.hpp>
#include <brigade/pool/join.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace {

using brigade::testing::on_pool;

long fib(long n) {
  if (n < 2) return n;
  auto [a, b] = brigade::join([&] { return fib(n - 1); }, [&] { return fib(n - 2); });
  return a + b;
}

long serial_fib(long n) {
  return n < 2 ? n : serial_fib(n - 1) + serial_fib(n - 2);
}

class join_on_pool : public on_pool {};

TEST_P(join_on_pool, returns_both_results) {
  auto [a, b] = brigade::join(
      pool(), [] { return 1; }, [] { return std::string("two"); });
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, "two");
}

TEST_P(join_on_pool, void_results_are_monostate) {
  int x = 0, y = 0;
  auto r = brigade::join(
      pool(), [&] { x = 1; }, [&] { y = 2; });
  static_assert(std::is_same_v<decltype(r), std::pair<std::monostate, std::monostate>>);
  EXPECT_EQ(x + y, 3);
}

TEST_P(join_on_pool, recursive_fib_is_correct) {
  EXPECT_EQ(pool().run([] { return fib(22); }), serial_fib(22));
}

TEST_P(join_on_pool, move_only_results) {
  auto [a, b] = brigade::join(
      pool(), [] { return std::make_unique<int>(3); }, [] { return std::make_unique<int>(4); });
  EXPECT_EQ(*a + *b, 7);
}

TEST(join, second_branch_can_run_in_parallel) {
  // f waits for g to start: only possible if another worker stole g.
  brigade::pool two(2);
  std::atomic<bool> g_started{false};
  bool saw = false;
  brigade::join(
      two,
      [&] {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!g_started.load() && std::chrono::steady_clock::now() < deadline)
          std::this_thread::yield();
        saw = g_started.load();
      },
      [&] { g_started.store(true); });
  EXPECT_TRUE(saw);
}

// A value that counts how many of its kind are alive, so a test can see that a stolen
// branch's result is destroyed exactly once, whichever way the join ends.
struct counted {
  static inline std::atomic<int> alive{0};
  int value;
  explicit counted(int v) : value(v) { alive.fetch_add(1); }
  counted(counted&& other) noexcept : value(other.value) { alive.fetch_add(1); }
  counted(const counted&) = delete;
  counted& operator=(const counted&) = delete;
  ~counted() { alive.fetch_sub(1); }
};

// Runs join on a pool of two where g is certainly stolen: f waits (up to 20 s) until g has
// started, which only another worker can do. Returns whether g was seen to start.
template <class F, class G>
auto join_with_g_stolen(brigade::pool& two, std::atomic<bool>& g_started, F f, G g) {
  return brigade::join(
      two,
      [&] {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!g_started.load() && std::chrono::steady_clock::now() < deadline)
          std::this_thread::yield();
        EXPECT_TRUE(g_started.load()) << "g was not stolen within 20 s";
        return f();
      },
      [&] {
        g_started.store(true);
        return g();
      });
}

TEST(join, a_stolen_branch_hands_back_its_value_once) {
  brigade::pool two(2);
  std::atomic<bool> started{false};
  {
    auto [a, b] = join_with_g_stolen(
        two, started, [] { return 1; }, [] { return counted(42); });
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b.value, 42);
    EXPECT_EQ(counted::alive.load(), 1);
  }
  EXPECT_EQ(counted::alive.load(), 0);
}

TEST(join, a_stolen_branch_hands_back_its_exception) {
  brigade::pool two(2);
  std::atomic<bool> started{false};
  try {
    join_with_g_stolen(
        two, started, [] { return 1; }, []() -> std::string { throw std::logic_error("g"); });
    FAIL() << "no exception";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "g");
  }
}

TEST(join, when_f_throws_a_stolen_branchs_value_is_destroyed) {
  brigade::pool two(2);
  std::atomic<bool> started{false};
  EXPECT_THROW(
      join_with_g_stolen(
          two, started, []() -> int { throw std::runtime_error("f"); }, [] { return counted(7); }),
      std::runtime_error);
  EXPECT_EQ(counted::alive.load(), 0);
}

TEST(join, when_both_throw_and_g_was_stolen_f_wins) {
  brigade::pool two(2);
  std::atomic<bool> started{false};
  try {
    join_with_g_stolen(
        two, started, []() -> int { throw std::runtime_error("f"); },
        []() -> std::string { throw std::logic_error("g"); });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "f");
  }
}

TEST_P(join_on_pool, exception_from_f_is_rethrown) {
  EXPECT_THROW(brigade::join(
                   pool(), []() -> int { throw std::runtime_error("f"); }, [] { return 2; }),
               std::runtime_error);
}

TEST_P(join_on_pool, exception_from_g_is_rethrown) {
  try {
    brigade::join(
        pool(), [] { return 1; }, []() -> int { throw std::logic_error("g"); });
    FAIL() << "no exception";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "g");
  }
}

TEST_P(join_on_pool, when_both_throw_f_wins) {
  for (int i = 0; i < 50; ++i) {
    try {
      brigade::join(
          pool(), []() -> int { throw std::runtime_error("f"); },
          []() -> int { throw std::logic_error("g"); });
      FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "f");
    }
  }
}

TEST_P(join_on_pool, nested_parallel_for_inside_join_inside_parallel_for) {
  std::vector<std::atomic<int>> hits(64 * 2 * 100);
  brigade::parallel_for(
      0, 64,
      [&](std::size_t i) {
        brigade::join(
            [&] {
              brigade::parallel_for(0, 100, [&](std::size_t j) { hits[(i * 2) * 100 + j]++; });
            },
            [&] {
              brigade::parallel_for(0, 100, [&](std::size_t j) { hits[(i * 2 + 1) * 100 + j]++; });
            });
      },
      {.pool = &pool()});
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST_P(join_on_pool, parallel_invoke_runs_every_function) {
  std::atomic<int> mask{0};
  brigade::parallel_invoke(
      pool(), [&] { mask |= 1; }, [&] { mask |= 2; }, [&] { mask |= 4; }, [&] { mask |= 8; });
  EXPECT_EQ(mask.load(), 15);
}

TEST_P(join_on_pool, parallel_invoke_leftmost_exception_wins) {
  try {
    brigade::parallel_invoke(
        pool(), [] {}, [] { throw std::runtime_error("second"); },
        [] { throw std::runtime_error("third"); });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "second");
  }
}

BRIGADE_INSTANTIATE_ON_POOLS(join_on_pool);

TEST(join, from_a_plain_thread_runs_on_the_global_pool) {
  EXPECT_EQ(fib(18), serial_fib(18));
  bool on_worker = false;
  brigade::join([&] { on_worker = brigade::pool::global().owns_current_thread(); }, [] {});
  EXPECT_TRUE(on_worker);
}

TEST(join, many_plain_threads_at_once) {
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < 20; ++r)
        if (fib(12 + t % 4) != serial_fib(12 + t % 4)) wrong++;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(join, on_another_pool_from_a_worker) {
  brigade::pool a(2), b(2);
  const int r = a.run([&] {
    auto [x, y] = brigade::join(
        b, [&] { return b.owns_current_thread() ? 1 : 0; },
        [&] { return b.owns_current_thread() ? 1 : 0; });
    return x + y;
  });
  EXPECT_EQ(r, 2);
}

}  // namespace
