// brigade::channel and select: the semantics matrix (bounded full/empty, rendezvous, close with
// pending senders and receivers, timeouts, coroutines, select fairness).
#include <brigade/core/scope.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/sync/channel.hpp>
#include <brigade/sync/select.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

TEST(channel, bounded_fills_then_refuses) {
  brigade::channel<int> ch(2);
  EXPECT_EQ(ch.capacity(), 2u);
  EXPECT_FALSE(ch.try_receive());
  EXPECT_TRUE(ch.try_send(1));
  EXPECT_TRUE(ch.try_send(2));
  int three = 3;
  EXPECT_FALSE(ch.try_send(three));
  EXPECT_EQ(three, 3);
  EXPECT_EQ(ch.size(), 2u);
  EXPECT_EQ(ch.try_receive(), 1);  // FIFO
  EXPECT_EQ(ch.try_receive(), 2);
  EXPECT_FALSE(ch.try_receive());
}

TEST(channel, unbounded_takes_everything) {
  brigade::channel<std::string> ch;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(ch.try_send(std::to_string(i)));
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(ch.try_receive(), std::to_string(i));
}

TEST(channel, move_only_values) {
  brigade::channel<std::unique_ptr<int>> ch(1);
  ch.blocking_send(std::make_unique<int>(5));
  auto v = ch.blocking_receive();
  ASSERT_TRUE(v && *v);
  EXPECT_EQ(**v, 5);
}

TEST(channel, rendezvous_hands_over_directly) {
  brigade::channel<int> ch(0);
  EXPECT_FALSE(ch.try_send(1));  // nobody receiving
  std::thread sender([&] { ch.blocking_send(9); });
  EXPECT_EQ(ch.blocking_receive(), 9);
  sender.join();
}

TEST(channel, full_sender_waits_for_a_receiver) {
  brigade::channel<int> ch(1);
  ch.blocking_send(1);
  std::latch started(1);
  std::thread sender([&] {
    started.count_down();
    ch.blocking_send(2);  // waits until main receives
  });
  started.wait();
  EXPECT_EQ(ch.blocking_receive(), 1);
  EXPECT_EQ(ch.blocking_receive(), 2);
  sender.join();
}

TEST(channel, close_drains_then_reports_closed) {
  brigade::channel<int> ch(4);
  ch.blocking_send(1);
  ch.blocking_send(2);
  ch.close();
  ch.close();  // idempotent
  EXPECT_TRUE(ch.closed());
  EXPECT_THROW(ch.blocking_send(3), brigade::channel_closed);
  EXPECT_THROW(ch.try_send(3), brigade::channel_closed);
  EXPECT_EQ(ch.blocking_receive(), 1);
  EXPECT_EQ(ch.try_receive(), 2);
  EXPECT_EQ(ch.blocking_receive(), std::nullopt);
  EXPECT_EQ(ch.try_receive_for(1s), std::nullopt);
}

TEST(channel, close_wakes_pending_receivers) {
  brigade::channel<int> ch;
  std::latch started(2);
  std::vector<std::thread> rs;
  std::atomic<int> closed_seen{0};
  for (int i = 0; i < 2; ++i)
    rs.emplace_back([&] {
      started.count_down();
      if (!ch.blocking_receive()) ++closed_seen;
    });
  started.wait();
  ch.close();
  for (auto& t : rs) t.join();
  EXPECT_EQ(closed_seen.load(), 2);
}

TEST(channel, close_fails_pending_senders_but_keeps_sent_values) {
  brigade::channel<int> ch(1);
  ch.blocking_send(1);
  std::latch started(1);
  bool threw = false;
  std::thread sender([&] {
    started.count_down();
    try {
      ch.blocking_send(2);
    } catch (const brigade::channel_closed&) {
      threw = true;
    }
  });
  started.wait();
  // The sender waits for room (or has not got there yet): either way it must fail, since
  // nothing is received before the close.
  ch.close();
  sender.join();
  EXPECT_TRUE(threw);
  EXPECT_EQ(ch.blocking_receive(), 1);
  EXPECT_EQ(ch.blocking_receive(), std::nullopt);
}

TEST(channel, timed_variants_time_out) {
  brigade::channel<int> ch(1);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(ch.try_receive_for(10ms), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 10ms);
  EXPECT_TRUE(ch.try_send_for(1, 10ms));
  EXPECT_FALSE(ch.try_send_for(2, 10ms));
  EXPECT_EQ(ch.try_receive_for(10ms), 1);
}

TEST(channel, coroutines_on_a_pool_pass_every_value_once) {
  brigade::pool p(4);
  brigade::channel<int> ch(3);
  std::atomic<long> sum{0};
  std::atomic<int> count{0};
  constexpr int producers = 4, consumers = 3, per = 200;
  auto produce = [&](int id) -> brigade::task<> {
    co_await p.schedule();
    for (int i = 0; i < per; ++i) co_await ch.send(id * per + i);
  };
  auto consume = [&]() -> brigade::task<> {
    co_await p.schedule();
    while (auto v = co_await ch.receive()) {
      sum += *v;
      ++count;
    }
  };
  auto all = [&]() -> brigade::task<> {
    brigade::scope s;
    for (int c = 0; c < consumers; ++c) s.spawn(consume());
    {
      brigade::scope ps;
      for (int i = 0; i < producers; ++i) ps.spawn(produce(i));
      co_await ps.join();
    }
    ch.close();
    co_await s.join();
  };
  brigade::sync_wait(all());
  const long n = producers * per;
  EXPECT_EQ(count.load(), n);
  EXPECT_EQ(sum.load(), n * (n - 1) / 2);
}

TEST(channel, blocking_calls_are_refused_on_pool_workers) {
  brigade::pool p(1);
  brigade::channel<int> a, b;
  p.run([&] {
    EXPECT_THROW(a.blocking_receive(), std::logic_error);
    EXPECT_THROW(a.blocking_send(1), std::logic_error);
    EXPECT_THROW(brigade::select(a, b), std::logic_error);
    EXPECT_TRUE(a.try_send(1));  // try_ never blocks: fine anywhere
  });
  EXPECT_EQ(a.try_receive(), 1);
}

TEST(channel, coroutine_send_on_closed_throws) {
  brigade::channel<int> ch;
  ch.close();
  auto body = [&]() -> brigade::task<> { co_await ch.send(1); };
  EXPECT_THROW(brigade::sync_wait(body()), brigade::channel_closed);
}

TEST(select, takes_from_the_ready_channel) {
  brigade::channel<int> a;
  brigade::channel<std::string> b;
  b.try_send(std::string("hi"));
  auto r = brigade::select(a, b);
  EXPECT_EQ(r.index, 1u);
  EXPECT_EQ(std::get<1>(r.value), "hi");
  EXPECT_TRUE(a.try_send(4));
  r = brigade::select(a, b);
  EXPECT_EQ(r.index, 0u);
  EXPECT_EQ(std::get<0>(r.value), 4);
}

TEST(select, reports_a_closed_channel) {
  brigade::channel<int> a, b;
  b.close();
  auto r = brigade::select(a, b);
  EXPECT_EQ(r.index, 1u);
  EXPECT_FALSE(std::get<1>(r.value).has_value());
}

TEST(select, times_out_and_takes_nothing) {
  brigade::channel<int> a, b;
  EXPECT_FALSE(brigade::select_for(5ms, a, b).has_value());
  a.try_send(1);  // the timed-out select left no waiter behind: the value stays queued
  EXPECT_EQ(a.try_receive(), 1);
}

TEST(select, wakes_when_a_value_arrives) {
  brigade::channel<int> a, b;
  std::thread sender([&] { b.blocking_send(8); });
  auto r = brigade::select_for(30s, a, b);
  sender.join();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->index, 1u);
  EXPECT_EQ(std::get<1>(r->value), 8);
  EXPECT_EQ(a.size() + b.size(), 0u);
}

TEST(select, is_fair_between_ready_channels) {
  brigade::channel<int> a, b;
  int from[2] = {0, 0};
  for (int i = 0; i < 100; ++i) {
    a.try_send(i);
    b.try_send(i);
    ++from[brigade::select(a, b).index];
  }
  EXPECT_GE(from[0], 30);
  EXPECT_GE(from[1], 30);
}

TEST(select, many_selectors_and_senders_lose_nothing) {
  brigade::channel<int> a(2), b(2);
  constexpr int per = 2000;
  std::atomic<long> got{0}, sum{0};
  std::vector<std::thread> ts;
  for (int s = 0; s < 2; ++s)
    ts.emplace_back([&, s] {
      auto& ch = s == 0 ? a : b;
      for (int i = 1; i <= per; ++i) ch.blocking_send(i);
    });
  for (int r = 0; r < 2; ++r)
    ts.emplace_back([&] {
      for (;;) {
        auto res = brigade::select(a, b);
        const auto& v = res.index == 0 ? std::get<0>(res.value) : std::get<1>(res.value);
        if (!v) return;  // a channel closed: everything was received
        ++got;
        sum += *v;
      }
    });
  ts[0].join();
  ts[1].join();
  while (got.load() < 2 * per) std::this_thread::yield();
  a.close();
  b.close();
  ts[2].join();
  ts[3].join();
  EXPECT_EQ(got.load(), 2 * per);
  EXPECT_EQ(sum.load(), 2L * per * (per + 1) / 2);
}

}  // namespace
