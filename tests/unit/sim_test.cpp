// brigade::sim: same seed, same schedule; virtual time; brigade's channels and async_mutex
// under the simulator; deadlocks reported; the explore helper finds and replays a race.
#include <brigade/sim/explore.hpp>
#include <brigade/sim/sim.hpp>
#include <brigade/sync/async_mutex.hpp>
#include <brigade/sync/channel.hpp>
#include <brigade/sync/check.hpp>
#include <brigade/sync/semaphore.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace sim = brigade::sim;

namespace {

// A task that appends its name at every step. A coroutine function, not a capturing lambda:
// spawned tasks may outlive the frame of the task that made them.
brigade::task<> step(std::string& order, char name) {
  for (int i = 0; i < 4; ++i) {
    order += name;
    co_await brigade::yield();
  }
}

// Three tasks that interleave at every yield; the order they run in is the schedule.
std::function<brigade::task<>()> interleaving(std::string& order) {
  return [&order]() -> brigade::task<> {
    order.clear();
    brigade::spawn(step(order, 'a'));
    brigade::spawn(step(order, 'b'));
    co_await step(order, 'c');
  };
}

brigade::task<> sleeper(std::vector<int>& woke, int minutes) {
  co_await brigade::sleep_for(std::chrono::minutes(minutes));
  woke.push_back(minutes);
  EXPECT_EQ(brigade::now().time_since_epoch(), std::chrono::minutes(minutes));
}

TEST(sim, same_seed_same_schedule) {
  std::string first, again;
  const auto r1 = sim::run(42, interleaving(first));
  const auto r2 = sim::run(42, interleaving(again));
  EXPECT_EQ(first, again);
  EXPECT_EQ(r1.schedule_hash, r2.schedule_hash);
  EXPECT_EQ(r1.steps, r2.steps);
  std::set<std::string> orders;
  std::set<std::uint64_t> hashes;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::string o;
    hashes.insert(sim::run(seed, interleaving(o)).schedule_hash);
    orders.insert(o);
  }
  EXPECT_GT(orders.size(), 5u);  // the seed really changes the interleaving
  EXPECT_EQ(hashes.size(), orders.size());
}

TEST(sim, virtual_time_takes_no_real_time) {
  std::vector<int> woke;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = sim::run(1, [&]() -> brigade::task<> {
    brigade::spawn(sleeper(woke, 30));
    brigade::spawn(sleeper(woke, 10));
    co_await sleeper(woke, 20);
  });
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(woke, (std::vector<int>{10, 20, 30}));
  EXPECT_EQ(r.virtual_time, 30min);
}

TEST(sim, channels_and_semaphores_work_under_the_simulator) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    long sum = 0;
    sim::run(seed, [&]() -> brigade::task<> {
      brigade::channel<int> ch(2);
      brigade::semaphore done(0);
      for (int p = 0; p < 3; ++p)
        brigade::spawn(
            [](brigade::channel<int>& c, brigade::semaphore& d, int base) -> brigade::task<> {
              for (int i = 0; i < 10; ++i) co_await c.send(base + i);
              d.release();
            }(ch, done, p * 10));
      brigade::spawn([](brigade::channel<int>& c, brigade::semaphore& d) -> brigade::task<> {
        for (int k = 0; k < 3; ++k) co_await d.acquire();
        c.close();
      }(ch, done));
      while (auto v = co_await ch.receive()) sum += *v;
    });
    ASSERT_EQ(sum, 29 * 30 / 2) << "seed " << seed;
  }
}

TEST(sim, a_deadlock_is_reported_not_hung) {
  brigade::channel<int> never;
  try {
    sim::run(3, [&]() -> brigade::task<> {
      brigade::spawn(
          [](brigade::channel<int>& c) -> brigade::task<> { (void)co_await c.receive(); }(never));
      (void)co_await never.receive();
    });
    FAIL() << "no deadlock reported";
  } catch (const brigade::deadlock_error& e) {
    EXPECT_NE(std::string(e.what()).find("seed 3"), std::string::npos) << e.what();
  }
}

TEST(sim, exceptions_of_spawned_tasks_reach_run) {
  EXPECT_THROW(sim::run(1,
                        []() -> brigade::task<> {
                          brigade::spawn([]() -> brigade::task<> {
                            co_await brigade::yield();
                            throw std::runtime_error("boom");
                          }());
                          co_return;
                        }),
               std::runtime_error);
}

TEST(sim, outside_a_simulation_is_an_error) {
  EXPECT_FALSE(sim::active());
  const auto error = [](auto f) {
    try {
      f();
    } catch (const std::logic_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error([] {
              brigade::spawn([]() -> brigade::task<> { co_return; }());
            }).find("brigade::spawn: the current context does not own detached tasks"),
            std::string::npos);
  EXPECT_NE(error([] {
              (void)brigade::sleep_for(1s);
            }).find("brigade::sleep_for: not running on an event loop thread or in a simulation"),
            std::string::npos);
}

// The lost update: read, suspend, write. `locked` fixes it with an async_mutex.
std::function<brigade::task<>()> deposits(bool locked) {
  return [locked]() -> brigade::task<> {
    long balance = 0;
    brigade::async_mutex m;
    auto deposit = [&]() -> brigade::task<> {
      std::optional<brigade::async_mutex::guard> g;
      if (locked) g.emplace(co_await m.lock());
      const long read = balance;
      co_await brigade::yield();
      balance = read + 1;
    };
    for (int i = 0; i < 3; ++i) brigade::spawn(deposit());
    co_await brigade::sleep_for(1s);
    if (balance != 3) throw std::runtime_error("lost update: balance " + std::to_string(balance));
  };
}

TEST(sim, explore_finds_the_race_and_its_seed_replays_it) {
  const auto found = sim::explore({.seeds = 200, .print = true}, deposits(false));
  ASSERT_TRUE(found.has_value());
  EXPECT_NE(found->message.find("lost update"), std::string::npos);
  // Replaying the seed fails the same way, every time.
  for (int again = 0; again < 2; ++again) {
    try {
      sim::run(found->seed, deposits(false));
      FAIL() << "seed " << found->seed << " did not replay";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(found->message, e.what());
    }
  }
  EXPECT_FALSE(sim::explore({.seeds = 200}, deposits(true)).has_value());
}

TEST(sim, brigade_seed_must_be_a_whole_number) {
  for (const char* bad : {"abc", "", "-1", "12abc", "0x10", "99999999999999999999999"}) {
    ASSERT_EQ(setenv("BRIGADE_SEED", bad, 1), 0);
    try {
      (void)sim::explore({.seeds = 1}, deposits(true));
      ADD_FAILURE() << "BRIGADE_SEED=\"" << bad << "\" was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("BRIGADE_SEED=\"" + std::string(bad) + "\""),
                std::string::npos)
          << e.what();
    }
  }
  ASSERT_EQ(setenv("BRIGADE_SEED", "7", 1), 0);  // a good one runs exactly that seed
  EXPECT_FALSE(sim::explore({.seeds = 100}, deposits(true)).has_value());
  const std::uint64_t explored = sim::last_run().schedule_hash;
  unsetenv("BRIGADE_SEED");
  sim::run(7, deposits(true));
  EXPECT_EQ(sim::last_run().schedule_hash, explored);
}

}  // namespace
