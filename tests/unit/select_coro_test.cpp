// The coroutine select: exactly one branch happens, the losers take and deliver nothing; after()
// on an event loop (both backends), in the simulator; on a pool worker; cancellation.
#include <brigade/core/spawn.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/sim/sim.hpp>
#include <brigade/sync/select.hpp>

#include "support/backends.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <stop_token>
#include <thread>
#include <variant>

using namespace std::chrono_literals;

namespace {

using chan = brigade::channel<int>;

TEST(select_coro, the_ready_receive_wins_and_the_other_keeps_its_value) {
  chan a, b;
  b.try_send(2);
  auto r = brigade::sync_wait(
      [](chan& x, chan& y) -> brigade::task<std::variant<std::optional<int>, std::optional<int>>> {
        co_return co_await brigade::select(x.receive(), y.receive());
      }(a, b));
  EXPECT_EQ(r.index(), 1u);
  EXPECT_EQ(std::get<1>(r), 2);
  a.try_send(1);
  EXPECT_EQ(a.try_receive(), 1);  // no waiter of the select left on a
}

TEST(select_coro, losers_lose_nothing) {
  int from[2] = {0, 0};
  for (int i = 0; i < 200; ++i) {
    chan a, b(1), c(1);
    a.try_send(10);
    c.try_send(30);  // full: the send branch could only wait
    b.try_send(20);
    auto r = brigade::sync_wait([](chan& x, chan& y, chan& z) -> brigade::task<std::size_t> {
      auto v = co_await brigade::select(x.receive(), y.receive(), z.send(99));
      co_return v.index();
    }(a, b, c));
    ASSERT_LT(r, 2u);
    ++from[r];
    EXPECT_EQ(a.size() + b.size(), 1u);  // exactly one value left the channels
    EXPECT_EQ(c.try_receive(), 30);
    EXPECT_EQ(c.try_receive(), std::nullopt);  // 99 was not delivered
  }
  EXPECT_GE(from[0], 40);  // rotation: both ready branches get their turn
  EXPECT_GE(from[1], 40);
}

TEST(select_coro, a_send_branch_wins_when_there_is_room) {
  chan a, b(1);
  auto r = brigade::sync_wait([](chan& x, chan& y) -> brigade::task<std::size_t> {
    co_return (co_await brigade::select(x.receive(), y.send(5))).index();
  }(a, b));
  EXPECT_EQ(r, 1u);
  EXPECT_EQ(b.try_receive(), 5);
}

TEST(select_coro, a_closed_channel_wins_a_receive_and_fails_a_send) {
  chan a, b;
  a.close();
  auto r = brigade::sync_wait([](chan& x, chan& y) -> brigade::task<std::optional<int>> {
    auto v = co_await brigade::select(x.receive(), y.receive());
    co_return std::get<0>(v);
  }(a, b));
  EXPECT_FALSE(r.has_value());
  chan full(0);
  auto send = [](chan& x, chan& y) -> brigade::task<> {
    co_await brigade::select(x.send(1), y.receive());
  };
  EXPECT_THROW(brigade::sync_wait(send(a, full)), brigade::channel_closed);
}

TEST(select_coro, a_waiting_select_is_woken_by_a_thread) {
  chan a, b;
  std::thread sender([&] { b.blocking_send(7); });
  auto r = brigade::sync_wait([](chan& x, chan& y) -> brigade::task<std::optional<int>> {
    auto v = co_await brigade::select(x.receive(), y.receive());
    co_return v.index() == 1 ? std::get<1>(v) : std::nullopt;
  }(a, b));
  sender.join();
  EXPECT_EQ(r, 7);
  a.try_send(1);
  EXPECT_EQ(a.try_receive(), 1);
}

TEST(select_coro, select_meets_select_on_rendezvous_channels) {
  for (int i = 0; i < 300; ++i) {
    chan a(0), b(0);
    std::size_t recv_index = 9, send_index = 9;
    std::optional<int> got;
    std::thread sender([&] {
      send_index = brigade::sync_wait([](chan& x, chan& y) -> brigade::task<std::size_t> {
        co_return (co_await brigade::select(x.send(1), y.send(2))).index();
      }(a, b));
    });
    auto v = brigade::sync_wait(
        [](chan& x,
           chan& y) -> brigade::task<std::variant<std::optional<int>, std::optional<int>>> {
          co_return co_await brigade::select(x.receive(), y.receive());
        }(a, b));
    sender.join();
    recv_index = v.index();
    got = recv_index == 0 ? std::get<0>(v) : std::get<1>(v);
    EXPECT_EQ(recv_index, send_index) << i;
    EXPECT_EQ(got, static_cast<int>(send_index) + 1) << i;
    EXPECT_EQ(a.size() + b.size(), 0u);
  }
}

TEST(select_coro, a_stop_request_withdraws_every_branch) {
  chan a, b(0);
  std::stop_source stop;
  std::atomic<bool> waiting{false};
  auto body = [&]() -> brigade::task<> {
    waiting = true;
    co_await brigade::select(a.receive(), b.send(3));
  };
  std::thread canceller([&] {
    while (!waiting) std::this_thread::yield();
    stop.request_stop();
  });
  EXPECT_THROW(brigade::sync_wait(brigade::with_stop_token(body(), stop.get_token())),
               brigade::operation_cancelled);
  canceller.join();
  EXPECT_TRUE(a.try_send(1));
  EXPECT_EQ(a.try_receive(), 1);
  EXPECT_EQ(b.try_receive(), std::nullopt);  // the send branch left nothing behind
}

// A stop request and values racing a waiting select: exactly one outcome, nothing lost.
TEST(select_coro, stop_racing_values_loses_nothing) {
  for (int i = 0; i < 300; ++i) {
    chan a(1), b(1);
    std::stop_source stop;
    std::atomic<bool> waiting{false};
    std::optional<int> got;
    bool cancelled = false;
    int sent = 0;
    auto body = [&]() -> brigade::task<> {
      waiting = true;
      auto v = co_await brigade::select(a.receive(), b.receive());
      got = v.index() == 0 ? std::get<0>(v) : std::get<1>(v);
    };
    std::thread racer([&] {
      while (!waiting) std::this_thread::yield();
      sent += a.try_send(1) ? 1 : 0;
      if (i % 2 == 0) stop.request_stop();
      sent += b.try_send(2) ? 1 : 0;
      stop.request_stop();
    });
    try {
      brigade::sync_wait(brigade::with_stop_token(body(), stop.get_token()));
    } catch (const brigade::operation_cancelled&) {
      cancelled = true;
    }
    racer.join();
    EXPECT_NE(got.has_value(), cancelled) << i;
    EXPECT_EQ(static_cast<std::size_t>(sent), (got ? 1u : 0u) + a.size() + b.size()) << i;
  }
}

TEST(select_coro, works_on_a_pool_worker) {
  brigade::pool p(2);
  chan a, b;
  std::atomic<bool> waiting{false};
  std::thread sender([&] {
    while (!waiting) std::this_thread::yield();
    a.blocking_send(4);
  });
  auto r = brigade::sync_wait(
      [](brigade::pool& pl, chan& x, chan& y, std::atomic<bool>& w) -> brigade::task<std::size_t> {
        co_await pl.schedule();
        w = true;
        co_return (co_await brigade::select(x.receive(), y.receive())).index();
      }(p, a, b, waiting));
  sender.join();
  EXPECT_EQ(r, 0u);
  auto timed = [](brigade::pool& pl, chan& x) -> brigade::task<> {
    co_await pl.schedule();
    co_await brigade::select(x.receive(), brigade::after(1ms));
  };
  EXPECT_THROW(brigade::sync_wait(timed(p, a)), std::logic_error);  // no timers on a worker
}

class select_after : public brigade::testing::on_loop {};

TEST_P(select_after, after_wins_on_empty_channels) {
  chan a, b(0);
  const auto t0 = std::chrono::steady_clock::now();
  const auto idx = loop().run_until([](chan& x, chan& y) -> brigade::task<std::size_t> {
    co_return (co_await brigade::select(x.receive(), y.send(1), brigade::after(50ms))).index();
  }(a, b));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(idx, 2u);
  EXPECT_GE(took, 50ms);
  EXPECT_LT(took, 100ms);
  a.try_send(1);
  EXPECT_EQ(a.try_receive(), 1);
  EXPECT_FALSE(b.try_receive());
}

TEST_P(select_after, a_value_before_the_deadline_wins) {
  chan a;
  std::thread sender([&] { a.blocking_send(6); });
  const auto v = loop().run_until([](chan& x) -> brigade::task<std::optional<int>> {
    auto r = co_await brigade::select(x.receive(), brigade::after(10s));
    co_return r.index() == 0 ? std::get<0>(r) : std::nullopt;
  }(a));
  sender.join();
  EXPECT_EQ(v, 6);
}

BRIGADE_INSTANTIATE_ON_BACKENDS(select_after);

brigade::task<> send_later(chan& c, std::chrono::milliseconds d, int v) {
  co_await brigade::sleep_for(d);
  co_await c.send(v);
}

TEST(select_coro, after_in_virtual_time) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    chan a(1), b(1);
    std::size_t first = 9, second = 9;
    const auto r = brigade::sim::run(seed, [&]() -> brigade::task<> {
      brigade::spawn(send_later(a, 10ms, 1));
      first = (co_await brigade::select(a.receive(), b.receive(), brigade::after(50ms))).index();
      second = (co_await brigade::select(a.receive(), b.receive(), brigade::after(50ms))).index();
    });
    EXPECT_EQ(first, 0u) << seed;
    EXPECT_EQ(second, 2u) << seed;
    EXPECT_EQ(r.virtual_time, 60ms) << seed;
  }
}

// Selects that send meet selects that receive, each with a deadline, on every schedule the
// seeds pick: a send branch that won was received or is still queued; nothing else arrives.
brigade::task<> send_with_deadlines(chan& a, chan& b, int& sent) {
  for (int i = 0; i < 20; ++i) {
    auto r = co_await brigade::select(a.send(i), b.send(100 + i), brigade::after(3ms));
    if (r.index() != 2) ++sent;
  }
}

TEST(select_coro, selects_meet_selects_under_the_simulator) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    chan a(seed % 2), b(0);
    int sent = 0, got = 0;
    brigade::sim::run(seed, [&]() -> brigade::task<> {
      brigade::spawn(send_with_deadlines(a, b, sent));
      for (int i = 0; i < 20; ++i) {
        auto r = co_await brigade::select(a.receive(), b.receive(), brigade::after(2ms));
        if (r.index() != 2) ++got;
      }
    });
    EXPECT_EQ(sent, got + static_cast<int>(a.size() + b.size())) << seed;
  }
}

}  // namespace
