// brigade::task_group: running, waiting, errors, cancellation, reuse, dynamic spawning.
#include <brigade/pool/task_group.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using brigade::testing::on_pool;

class group_on_pool : public on_pool {};

TEST_P(group_on_pool, runs_every_task_before_wait_returns) {
  brigade::task_group tg(pool());
  std::atomic<int> n{0};
  for (int i = 0; i < 1000; ++i) tg.run([&] { n++; });
  tg.wait();
  EXPECT_EQ(n.load(), 1000);
}

TEST_P(group_on_pool, wait_from_inside_the_pool_helps) {
  const int total = pool().run([] {
    brigade::task_group tg;
    std::atomic<int> n{0};
    for (int i = 0; i < 200; ++i) tg.run([&] { n++; });
    tg.wait();
    return n.load();
  });
  EXPECT_EQ(total, 200);
}

TEST_P(group_on_pool, tasks_spawn_more_tasks) {
  brigade::task_group tg(pool());
  std::atomic<int> nodes{0};
  std::function<void(int)> walk = [&](int depth) {
    nodes++;
    if (depth == 0) return;
    tg.run([&walk, depth] { walk(depth - 1); });
    tg.run([&walk, depth] { walk(depth - 1); });
  };
  tg.run([&] { walk(10); });
  tg.wait();
  EXPECT_EQ(nodes.load(), (1 << 11) - 1);
}

TEST_P(group_on_pool, first_exception_is_rethrown_and_group_is_reusable) {
  brigade::task_group tg(pool());
  for (int i = 0; i < 100; ++i)
    tg.run([i] {
      if (i % 10 == 3) throw std::runtime_error("task " + std::to_string(i));
    });
  EXPECT_THROW(tg.wait(), std::runtime_error);
  std::atomic<int> n{0};
  for (int i = 0; i < 10; ++i) tg.run([&] { n++; });
  tg.wait();
  EXPECT_EQ(n.load(), 10);
}

TEST_P(group_on_pool, cancel_skips_tasks_not_yet_started) {
  brigade::task_group tg(pool());
  tg.cancel();
  std::atomic<int> n{0};
  for (int i = 0; i < 100; ++i) tg.run([&] { n++; });
  tg.wait();
  EXPECT_EQ(n.load(), 0);
  tg.run([&] { n++; });  // wait() cleared the cancellation
  tg.wait();
  EXPECT_EQ(n.load(), 1);
}

TEST_P(group_on_pool, destructor_waits_for_tasks) {
  std::atomic<int> n{0};
  {
    brigade::task_group tg(pool());
    for (int i = 0; i < 100; ++i) tg.run([&] { n++; });
  }
  EXPECT_EQ(n.load(), 100);
}

TEST_P(group_on_pool, runs_from_many_threads_at_once) {
  brigade::task_group tg(pool());
  std::atomic<int> n{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) tg.run([&] { n++; });
    });
  for (auto& t : threads) t.join();
  tg.wait();
  EXPECT_EQ(n.load(), 800);
}

BRIGADE_INSTANTIATE_ON_POOLS(group_on_pool);

TEST(task_group, default_group_uses_the_global_pool) {
  brigade::task_group tg;
  std::atomic<bool> on_global{false};
  tg.run([&] { on_global = brigade::pool::global().owns_current_thread(); });
  tg.wait();
  EXPECT_TRUE(on_global.load());
}

}  // namespace
