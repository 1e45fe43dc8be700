// Cancelling channel waits: a stop request takes the waiter out of the queue and fails it with
// operation_cancelled, never losing a value; timeout() around a receive, on an event loop (both
// backends) and under the simulator; the blocking forms with a stop token.
#include <brigade/core/spawn.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/timeout.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/sim/sim.hpp>
#include <brigade/sync/channel.hpp>

#include "support/backends.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <stop_token>
#include <thread>

using namespace std::chrono_literals;

namespace {

// Waits (on a plain thread) until the channel's receive or send is queued: a value sent with
// try_send is taken only by a queued receiver, so spin on a probe instead of sleeping.
template <class F>
void eventually(F done) {
  while (!done()) std::this_thread::yield();
}

TEST(channel_cancel, stop_before_the_wait_takes_nothing) {
  brigade::channel<int> ch;
  ch.try_send(1);
  std::stop_source stop;
  stop.request_stop();
  auto body = [&]() -> brigade::task<std::optional<int>> { co_return co_await ch.receive(); };
  EXPECT_THROW(brigade::sync_wait(brigade::with_stop_token(body(), stop.get_token())),
               brigade::operation_cancelled);
  EXPECT_EQ(ch.size(), 1u);  // the ready value stayed
  auto send = [&]() -> brigade::task<> { co_await ch.send(2); };
  EXPECT_THROW(brigade::sync_wait(brigade::with_stop_token(send(), stop.get_token())),
               brigade::operation_cancelled);
  EXPECT_EQ(ch.size(), 1u);  // nor was 2 queued
}

TEST(channel_cancel, a_waiting_receive_is_cancelled_and_takes_nothing) {
  brigade::channel<int> ch;
  std::stop_source stop;
  std::atomic<bool> waiting{false};
  auto body = [&]() -> brigade::task<std::optional<int>> {
    waiting = true;
    co_return co_await ch.receive();
  };
  std::thread canceller([&] {
    eventually([&] { return waiting.load(); });
    std::this_thread::sleep_for(1ms);  // not for ordering: either order must give "cancelled"
    stop.request_stop();
  });
  EXPECT_THROW(brigade::sync_wait(brigade::with_stop_token(body(), stop.get_token())),
               brigade::operation_cancelled);
  canceller.join();
  EXPECT_TRUE(ch.try_send(5));  // no waiter left behind to swallow it
  EXPECT_EQ(ch.try_receive(), 5);
}

TEST(channel_cancel, a_waiting_send_is_cancelled_and_not_queued) {
  brigade::channel<int> ch(1);
  ch.try_send(1);
  std::stop_source stop;
  std::atomic<bool> waiting{false};
  auto body = [&]() -> brigade::task<> {
    waiting = true;
    co_await ch.send(2);
  };
  std::thread canceller([&] {
    eventually([&] { return waiting.load(); });
    stop.request_stop();
  });
  EXPECT_THROW(brigade::sync_wait(brigade::with_stop_token(body(), stop.get_token())),
               brigade::operation_cancelled);
  canceller.join();
  EXPECT_EQ(ch.try_receive(), 1);
  EXPECT_EQ(ch.try_receive(), std::nullopt);  // 2 never entered the channel
}

TEST(channel_cancel, blocking_forms_take_a_stop_token) {
  brigade::channel<int> ch(1);
  std::stop_source stop;
  std::thread canceller([&] {
    std::this_thread::sleep_for(2ms);
    stop.request_stop();
  });
  EXPECT_THROW(ch.blocking_receive(stop.get_token()), brigade::operation_cancelled);
  canceller.join();
  ch.blocking_send(1, std::stop_token{});  // no stop possible: an ordinary send
  std::stop_source stop2;
  std::thread canceller2([&] {
    std::this_thread::sleep_for(2ms);
    stop2.request_stop();
  });
  EXPECT_THROW(ch.blocking_send(2, stop2.get_token()), brigade::operation_cancelled);
  canceller2.join();
  EXPECT_EQ(ch.blocking_receive(std::stop_token{}), 1);
  EXPECT_EQ(ch.try_receive(), std::nullopt);
  EXPECT_THROW(ch.blocking_receive(stop.get_token()), brigade::operation_cancelled);  // stopped
}

// A stop request racing a hand-off: exactly one of "got it" / "cancelled"; nothing is lost.
TEST(channel_cancel, stop_racing_a_hand_off_loses_nothing) {
  for (int i = 0; i < 500; ++i) {
    brigade::channel<int> ch(i % 2 == 0 ? 0 : 1);
    std::stop_source stop;
    std::atomic<bool> waiting{false};
    int got = 0;
    bool cancelled = false;
    auto body = [&]() -> brigade::task<> {
      waiting = true;
      auto v = co_await ch.receive();
      got = v.value_or(-1);
    };
    int sent = 0;
    std::thread racer([&] {
      eventually([&] { return waiting.load(); });
      sent += ch.try_send(7) ? 1 : 0;
      stop.request_stop();
      if (sent == 0) sent += ch.try_send(7) ? 1 : 0;  // capacity 0 and nobody queued: fails
    });
    try {
      brigade::sync_wait(brigade::with_stop_token(body(), stop.get_token()));
    } catch (const brigade::operation_cancelled&) {
      cancelled = true;
    }
    racer.join();
    EXPECT_NE(got == 7, cancelled) << i;
    EXPECT_EQ(static_cast<std::size_t>(sent), (got == 7 ? 1u : 0u) + ch.size()) << i;
  }
}

class channel_timeout : public brigade::testing::on_loop {};

TEST_P(channel_timeout, receive_on_an_empty_channel_times_out) {
  brigade::channel<int> ch;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(loop().run_until([](brigade::channel<int>& c) -> brigade::task<> {
    co_await brigade::timeout(50ms, c.receive());
  }(ch)),
               brigade::timed_out);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 50ms);
  EXPECT_LT(took, 100ms);
  EXPECT_TRUE(ch.try_send(1));  // the cancelled receive left no waiter
  EXPECT_EQ(ch.try_receive(), 1);
}

TEST_P(channel_timeout, a_value_in_time_wins) {
  brigade::channel<int> ch;
  std::thread sender([&] { ch.blocking_send(3); });
  const auto v =
      loop().run_until([](brigade::channel<int>& c) -> brigade::task<std::optional<int>> {
        co_return co_await brigade::timeout(10s, c.receive());
      }(ch));
  sender.join();
  EXPECT_EQ(v, 3);
}

TEST_P(channel_timeout, a_send_to_a_full_channel_times_out_unsent) {
  brigade::channel<int> ch(1);
  ch.try_send(1);
  EXPECT_THROW(loop().run_until([](brigade::channel<int>& c) -> brigade::task<> {
    co_await brigade::timeout(20ms, c.send(2));
  }(ch)),
               brigade::timed_out);
  EXPECT_EQ(ch.try_receive(), 1);
  EXPECT_EQ(ch.try_receive(), std::nullopt);
}

BRIGADE_INSTANTIATE_ON_BACKENDS(channel_timeout);

TEST(channel_cancel, timeout_under_the_simulator_is_virtual) {
  brigade::channel<int> ch;
  bool timed_out = false;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = brigade::sim::run(3, [&]() -> brigade::task<> {
    try {
      co_await brigade::timeout(50ms, ch.receive());
    } catch (const brigade::timed_out&) {
      timed_out = true;
    }
  });
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(r.virtual_time, 50ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_TRUE(ch.try_send(1));
  EXPECT_EQ(ch.try_receive(), 1);
}

TEST(channel_cancel, timeout_under_the_simulator_delivers_in_time) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    brigade::channel<int> ch(0);
    std::optional<int> got;
    bool timed_out = false;
    brigade::sim::run(seed, [&]() -> brigade::task<> {
      brigade::spawn([](brigade::channel<int>& c) -> brigade::task<> {
        co_await brigade::sleep_for(10ms);
        co_await brigade::timeout(100ms, c.send(4));
      }(ch));
      try {
        got = co_await brigade::timeout(50ms, ch.receive());
      } catch (const brigade::timed_out&) {
        timed_out = true;
      }
    });
    EXPECT_FALSE(timed_out) << seed;
    EXPECT_EQ(got, 4) << seed;
  }
}

// On a pool worker there is no timer (sleep_for throws), so timeout() says so; cancellation
// through a stop token works there like anywhere.
TEST(channel_cancel, a_receive_on_a_pool_worker_is_cancellable) {
  brigade::pool p(2);
  brigade::channel<int> ch;
  std::stop_source stop;
  std::atomic<bool> waiting{false};
  auto body = [&]() -> brigade::task<> {
    co_await p.schedule();
    waiting = true;
    co_await ch.receive();
  };
  std::thread canceller([&] {
    eventually([&] { return waiting.load(); });
    stop.request_stop();
  });
  EXPECT_THROW(brigade::sync_wait(brigade::with_stop_token(body(), stop.get_token())),
               brigade::operation_cancelled);
  canceller.join();
  auto timed = [&]() -> brigade::task<> {
    co_await p.schedule();
    co_await brigade::timeout(5ms, ch.receive());
  };
  EXPECT_THROW(brigade::sync_wait(timed()), std::logic_error);
}

}  // namespace
