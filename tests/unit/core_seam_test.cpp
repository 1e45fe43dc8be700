// The scheduler seam: sleep_for, sleep_until, timeout, yield and now() on the clock of the
// context that runs them — an event loop's real clock, the simulator's virtual time, a manual
// clock — so one coroutine runs unchanged on each.
#include "../support/manual_clock.hpp"

#include <brigade/core/context.hpp>
#include <brigade/core/errors.hpp>
#include <brigade/core/scope.hpp>
#include <brigade/core/when_all.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/timeout.hpp>
#include <brigade/io/timer.hpp>
#include <brigade/sim/sim.hpp>
#include <brigade/sync/channel.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

// Written once for any context: a deadline met, a deadline missed (its sleep cancelled), and
// two sleepers in a scope that finish in deadline order.
brigade::task<std::string> service(std::chrono::milliseconds unit) {
  std::string log;
  const auto start = brigade::now();
  co_await brigade::timeout(10 * unit, [](std::chrono::milliseconds d) -> brigade::task<void> {
    co_await brigade::sleep_for(d);
  }(unit));
  log += "met;";
  bool cancelled = false;
  try {
    co_await brigade::timeout(2 * unit,
                              [](std::chrono::milliseconds d, bool& c) -> brigade::task<void> {
                                try {
                                  co_await brigade::sleep_for(d);
                                } catch (const brigade::operation_cancelled&) {
                                  c = true;
                                  throw;
                                }
                              }(1000 * unit, cancelled));
  } catch (const brigade::timed_out&) {
    log += "missed;";
  }
  if (cancelled) log += "cancelled;";
  std::vector<int> order;
  brigade::scope s;
  auto sleeper = [](std::chrono::milliseconds d, int id, std::vector<int>& out) -> brigade::task<> {
    co_await brigade::sleep_for(d);
    out.push_back(id);
  };
  s.spawn(sleeper(3 * unit, 3, order));
  s.spawn(sleeper(1 * unit, 1, order));
  co_await s.join();
  for (int id : order) log += std::to_string(id);
  const auto took = brigade::now() - start;
  // unit (met) + 2 units (missed) + 3 units (the longer sleeper): at least 6 units passed.
  if (took >= 6 * unit) log += ";>=6";
  co_return log;
}

const std::string expected = "met;missed;cancelled;13;>=6";

TEST(core_seam, one_coroutine_runs_on_an_event_loop) {
  brigade::event_loop loop;
  EXPECT_EQ(loop.run_until(service(5ms)), expected);
}

TEST(core_seam, the_same_coroutine_runs_under_the_simulator_in_virtual_time) {
  std::string log;
  const auto r = brigade::sim::run(7, [&]() -> brigade::task<> { log = co_await service(1s); });
  EXPECT_EQ(log, expected);
  EXPECT_EQ(r.virtual_time, 6s);  // exactly: virtual time moves only to timers
}

TEST(core_seam, a_ten_second_timeout_finishes_at_once_under_the_simulator) {
  const auto real_start = std::chrono::steady_clock::now();
  bool timed_out = false;
  const auto r = brigade::sim::run(1, [&]() -> brigade::task<> {
    try {
      co_await brigade::timeout(10s,
                                []() -> brigade::task<void> { co_await brigade::sleep_for(1h); }());
    } catch (const brigade::timed_out&) {
      timed_out = true;
    }
  });
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(r.virtual_time, 10s);
  // Not a speed test: a run that really waited would take the full 10 s.
  EXPECT_LT(std::chrono::steady_clock::now() - real_start, 10s);
}

// "Forever" as a duration: hours::max() is far more nanoseconds than the clock holds. The
// deadline saturates (it never comes) instead of wrapping round into the past.
brigade::task<std::string> forever_is_not_the_past() {
  std::string log;
  log += std::to_string(
      co_await brigade::timeout(std::chrono::hours::max(), []() -> brigade::task<int> {
        co_await brigade::sleep_for(1ms);
        co_return 7;
      }()));
  brigade::scope s;
  s.spawn([](std::string& l) -> brigade::task<> {
    try {
      co_await brigade::sleep_for(std::chrono::duration<double>(1e300));
      l += ";woke";
    } catch (const brigade::operation_cancelled&) {
      l += ";still asleep";
    }
  }(log));
  co_await brigade::sleep_for(1ms);
  s.request_stop();
  co_await s.join();
  co_return log;
}

TEST(core_seam, a_limit_too_long_for_the_clock_never_fires) {
  brigade::event_loop loop;
  EXPECT_EQ(loop.run_until(forever_is_not_the_past()), "7;still asleep");
  std::string log;
  brigade::sim::run(5, [&]() -> brigade::task<> { log = co_await forever_is_not_the_past(); });
  EXPECT_EQ(log, "7;still asleep");
}

TEST(core_seam, now_is_virtual_under_the_simulator) {
  brigade::sim::run(3, [&]() -> brigade::task<> {
    EXPECT_EQ(brigade::now().time_since_epoch(), 0ns);
    co_await brigade::yield();
    EXPECT_EQ(brigade::now().time_since_epoch(), 0ns);
    co_await brigade::sleep_until(brigade::now() + 90min);
    EXPECT_EQ(brigade::now().time_since_epoch(), 90min);
    co_await brigade::sleep_for(-5s);  // a past deadline does not wait
    EXPECT_EQ(brigade::now().time_since_epoch(), 90min);
  });
}

brigade::task<> sleep_and_log(std::vector<std::string>& seen, std::chrono::seconds d) {
  co_await brigade::sleep_for(d);
  seen.push_back("woke at " + std::to_string(brigade::now().time_since_epoch() / 1s));
}

brigade::task<> timeout_and_log(std::vector<std::string>& seen) {
  try {
    co_await brigade::timeout(2s, sleep_and_log(seen, 60s));
  } catch (const brigade::timed_out&) {
    seen.push_back("timed out at " + std::to_string(brigade::now().time_since_epoch() / 1s));
  }
}

TEST(core_seam, a_manual_clock_resumes_sleepers_only_when_it_moves) {
  brigade::testing::manual_clock clock;
  std::vector<std::string> seen;
  brigade::scope s;  // children start at once, on this thread, under the manual clock
  s.spawn(sleep_and_log(seen, 5s));
  s.spawn(timeout_and_log(seen));
  clock.advance(1s);
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(clock.pending_timers(), 3u);  // two sleeps and the timeout's deadline
  clock.advance(1s);                      // the deadline: the 60 s sleep is cancelled
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "timed out at 2");
  EXPECT_EQ(clock.pending_timers(), 1u);  // the cancelled sleep left nothing behind
  clock.advance(10s);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1], "woke at 5");
  EXPECT_EQ(s.active(), 0u);
}

TEST(core_seam, sleeping_off_a_loop_or_simulation_names_the_mistake) {
  std::string what;
  try {
    (void)brigade::sleep_for(1s);
  } catch (const std::logic_error& e) {
    what = e.what();
  }
  EXPECT_NE(what.find("brigade::sleep_for: not running on an event loop thread or in a simulation"),
            std::string::npos)
      << what;
}

}  // namespace
