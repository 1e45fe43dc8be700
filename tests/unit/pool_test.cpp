// brigade::pool: sizes, BRIGADE_THREADS, run(), the global pool, and idleness.
#include <brigade/pool/future.hpp>
#include <brigade/pool/join.hpp>
#include <brigade/pool/pool.hpp>

#include "support/error_text.hpp"
#include "support/flavours.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <latch>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using brigade::testing::on_pool;

using brigade::testing::error_of;

TEST(pool, has_the_requested_size) {
  for (std::size_t n : {1, 2, 3, 8}) {
    brigade::pool p(n);
    EXPECT_EQ(p.size(), n);
  }
}

TEST(pool, destroying_it_finishes_queued_work_and_keeps_every_exception) {
  std::vector<brigade::future<int>> futures;
  std::latch release(1);
  {
    auto p = std::make_unique<brigade::pool>(1);
    // The one worker is held until the pool is being destroyed: everything after waits queued.
    futures.push_back(brigade::submit(*p, [&release] {
      release.wait();
      return -1;
    }));
    for (int i = 0; i < 200; ++i)
      futures.push_back(brigade::submit(*p, [i]() -> int {
        if (i % 3 == 0) throw std::runtime_error("job " + std::to_string(i));
        return i;
      }));
    std::thread opener([&release] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // spacing only
      release.count_down();
    });
    p.reset();  // the destructor waits for all 201 jobs
    opener.join();
  }
  EXPECT_EQ(futures[0].get(), -1);
  for (int i = 0; i < 200; ++i) {
    brigade::future<int>& f = futures[static_cast<std::size_t>(i) + 1];
    EXPECT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready) << i;
    if (i % 3 == 0) {
      try {
        (void)f.get();
        ADD_FAILURE() << "job " << i << " lost its exception";
      } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "job " + std::to_string(i));
      }
    } else {
      EXPECT_EQ(f.get(), i);
    }
  }
}

TEST(pool, zero_threads_is_an_error_naming_the_value) {
  const std::string msg = error_of([] { brigade::pool p(0); });
  EXPECT_NE(msg.find("got 0"), std::string::npos) << msg;
}

TEST(pool, absurd_thread_count_is_an_error) {
  const std::string msg = error_of([] { brigade::pool p(1'000'000); });
  EXPECT_NE(msg.find("1000000"), std::string::npos) << msg;
}

TEST(pool, worker_nice_applies_to_every_worker) {
  const int caller = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  brigade::pool p(2);
  p.set_worker_nice(std::max(7, caller));
  std::atomic<int> arrived{0};
  int seen[2] = {-100, -100};
  p.run([&] {
    auto look = [&](int slot) {
      seen[slot] = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
      arrived.fetch_add(1);
      while (arrived.load() < 2) std::this_thread::yield();  // the other worker takes the other
    };
    brigade::join([&] { look(0); }, [&] { look(1); });
  });
  EXPECT_EQ(seen[0], std::max(7, caller));
  EXPECT_EQ(seen[1], std::max(7, caller));
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), caller);  // unchanged
  EXPECT_THROW(p.set_worker_nice(20), std::invalid_argument);
  EXPECT_THROW(p.set_worker_nice(-21), std::invalid_argument);
}

TEST(thread_count, invalid_texts_are_errors_naming_the_text) {
  for (const char* text : {"abc", "0", "-3", "", " 4", "4x", "1.5", "99999999999999999999999"}) {
    const std::string msg = error_of([&] { brigade::detail::parse_thread_count(text); });
    EXPECT_NE(msg.find(std::string("\"") + text + "\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("BRIGADE_THREADS"), std::string::npos) << msg;
  }
}

TEST(thread_count, valid_texts_parse) {
  EXPECT_EQ(brigade::detail::parse_thread_count("1"), 1u);
  EXPECT_EQ(brigade::detail::parse_thread_count("16"), 16u);
  EXPECT_EQ(brigade::detail::parse_thread_count("0007"), 7u);
}

TEST(thread_count, environment_sets_the_default_pool_size) {
  ASSERT_EQ(setenv("BRIGADE_THREADS", "3", 1), 0);
  brigade::pool p;
  EXPECT_EQ(p.size(), 3u);
  unsetenv("BRIGADE_THREADS");
}

TEST(thread_count, invalid_environment_makes_default_pool_throw) {
  ASSERT_EQ(setenv("BRIGADE_THREADS", "abc", 1), 0);
  EXPECT_THROW(brigade::pool p, std::invalid_argument);
  unsetenv("BRIGADE_THREADS");
}

// ctest runs every case in its own process, so the global pool is not built yet here.
TEST(global_pool, invalid_environment_is_an_error_then_recovers) {
  ASSERT_EQ(setenv("BRIGADE_THREADS", "-3", 1), 0);
  const std::string msg = error_of([] { brigade::pool::global(); });
  EXPECT_NE(msg.find("\"-3\""), std::string::npos) << msg;
  ASSERT_EQ(setenv("BRIGADE_THREADS", "2", 1), 0);
  EXPECT_EQ(brigade::pool::global().size(), 2u);
  unsetenv("BRIGADE_THREADS");
}

TEST(global_pool, is_one_pool) {
  EXPECT_EQ(&brigade::pool::global(), &brigade::pool::global());
}

class pool_run : public on_pool {};

TEST_P(pool_run, returns_the_value_from_a_worker) {
  const auto caller = std::this_thread::get_id();
  auto [value, where] = pool().run([] { return std::pair{42, std::this_thread::get_id()}; });
  EXPECT_EQ(value, 42);
  EXPECT_NE(where, caller);
}

TEST_P(pool_run, rethrows_the_exception) {
  EXPECT_THROW(pool().run([]() -> int { throw std::runtime_error("boom"); }), std::runtime_error);
}

TEST_P(pool_run, runs_inline_when_called_from_its_own_worker) {
  pool().run([&] {
    EXPECT_TRUE(pool().owns_current_thread());
    const auto outer = std::this_thread::get_id();
    pool().run([&] { EXPECT_EQ(std::this_thread::get_id(), outer); });
  });
  EXPECT_FALSE(pool().owns_current_thread());
}

TEST_P(pool_run, every_worker_is_a_distinct_thread) {
  // Occupy all workers at once: each run() blocks until all have arrived.
  const std::size_t n = pool().size();
  std::atomic<std::size_t> arrived{0};
  std::mutex mu;
  std::set<std::thread::id> ids;
  std::vector<std::thread> callers;
  for (std::size_t i = 0; i < n; ++i)
    callers.emplace_back([&] {
      pool().run([&] {
        {
          std::lock_guard lock(mu);
          ids.insert(std::this_thread::get_id());
        }
        arrived.fetch_add(1);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (arrived.load() < n && std::chrono::steady_clock::now() < deadline)
          std::this_thread::yield();
      });
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(arrived.load(), n);
  EXPECT_EQ(ids.size(), n);
}

TEST_P(pool_run, an_idle_pool_uses_almost_no_cpu) {
  pool().run([] {});                                            // make sure the workers started
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let them finish spinning
  auto cpu_seconds = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
  };
  const double before = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double used = cpu_seconds() - before;
  EXPECT_LT(used, 0.01 * wall) << "an idle pool of " << pool().size() << " used " << used
                               << " s of CPU in " << wall << " s";
}

TEST_P(pool_run, wakes_up_after_parking) {
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // long enough to park
    EXPECT_EQ(pool().run([round] { return round * 2; }), round * 2);
  }
}

BRIGADE_INSTANTIATE_ON_POOLS(pool_run);

}  // namespace
