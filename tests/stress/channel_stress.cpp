// channel under real contention: producers and consumers (threads, pool coroutines, select)
// over random capacities; every value must arrive exactly once. Prints its seed; sizes scale
// with BRIGADE_STRESS_SCALE.
#include <brigade/core/scope.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/sync/channel.hpp>
#include <brigade/sync/select.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace {

using brigade::testing::scaled;
using brigade::testing::test_seed;

std::size_t pick_capacity(std::mt19937& gen) {
  const std::size_t choices[] = {0, 1, 3, 64, brigade::channel<int>::unbounded};
  return choices[gen() % 5];
}

void expect_each_once(const std::vector<std::atomic<int>>& seen, unsigned seed) {
  for (std::size_t i = 0; i < seen.size(); ++i)
    ASSERT_EQ(seen[i].load(), 1) << "value " << i << " seed " << seed;
}

TEST(channel_stress, threads_mpmc_every_value_once) {
  const unsigned base = test_seed(11);
  for (std::size_t r = 0; r < scaled(24); ++r) {
    const unsigned seed = base + static_cast<unsigned>(r);
    std::mt19937 gen(seed);
    brigade::channel<int> ch(pick_capacity(gen));
    const int producers = 1 + static_cast<int>(gen() % 4);
    const int consumers = 1 + static_cast<int>(gen() % 4);
    const int per = static_cast<int>(scaled(10000)) / producers + 1;
    const bool timed = gen() % 2 == 0;  // mix the timed variants in
    std::vector<std::atomic<int>> seen(static_cast<std::size_t>(producers * per));
    std::vector<std::thread> cs, ps;
    for (int c = 0; c < consumers; ++c)
      cs.emplace_back([&] {
        for (;;) {
          std::optional<int> v =
              timed ? ch.try_receive_for(std::chrono::microseconds(50)) : ch.blocking_receive();
          if (!v) {
            if (ch.closed() && ch.size() == 0) {
              if (auto last = ch.try_receive()) {
                ++seen[static_cast<std::size_t>(*last)];
                continue;
              }
              return;
            }
            continue;
          }
          ++seen[static_cast<std::size_t>(*v)];
        }
      });
    for (int p = 0; p < producers; ++p)
      ps.emplace_back([&, p] {
        for (int i = 0; i < per; ++i) {
          const int v = p * per + i;
          if (timed) {
            while (!ch.try_send_for(v, std::chrono::microseconds(50))) {
            }
          } else {
            ch.blocking_send(v);
          }
        }
      });
    for (auto& t : ps) t.join();
    ch.close();
    for (auto& t : cs) t.join();
    expect_each_once(seen, seed);
  }
}

TEST(channel_stress, coroutines_on_a_pool_every_value_once) {
  const unsigned base = test_seed(23);
  brigade::pool pool(4);
  for (std::size_t r = 0; r < scaled(24); ++r) {
    const unsigned seed = base + static_cast<unsigned>(r);
    std::mt19937 gen(seed);
    brigade::channel<int> ch(pick_capacity(gen));
    const int producers = 1 + static_cast<int>(gen() % 4);
    const int consumers = 1 + static_cast<int>(gen() % 4);
    const int per = static_cast<int>(scaled(5000)) / producers + 1;
    std::vector<std::atomic<int>> seen(static_cast<std::size_t>(producers * per));
    auto produce = [&](int p) -> brigade::task<> {
      co_await pool.schedule();
      for (int i = 0; i < per; ++i) co_await ch.send(p * per + i);
    };
    auto consume = [&]() -> brigade::task<> {
      co_await pool.schedule();
      while (auto v = co_await ch.receive()) ++seen[static_cast<std::size_t>(*v)];
    };
    auto all = [&]() -> brigade::task<> {
      brigade::scope cs;
      for (int c = 0; c < consumers; ++c) cs.spawn(consume());
      {
        brigade::scope ps;
        for (int p = 0; p < producers; ++p) ps.spawn(produce(p));
        co_await ps.join();
      }
      ch.close();
      co_await cs.join();
    };
    brigade::sync_wait(all());
    expect_each_once(seen, seed);
  }
}

TEST(channel_stress, select_over_two_channels_every_value_once) {
  const unsigned base = test_seed(37);
  for (std::size_t r = 0; r < scaled(12); ++r) {
    const unsigned seed = base + static_cast<unsigned>(r);
    std::mt19937 gen(seed);
    brigade::channel<int> a(pick_capacity(gen)), b(pick_capacity(gen));
    const int per = static_cast<int>(scaled(2000));
    std::vector<std::atomic<int>> seen(static_cast<std::size_t>(2 * per));
    std::atomic<int> received{0};
    std::vector<std::thread> ts;
    for (int s = 0; s < 2; ++s)
      ts.emplace_back([&, s] {
        for (int i = 0; i < per; ++i) (s == 0 ? a : b).blocking_send(s * per + i);
      });
    for (int c = 0; c < 3; ++c)
      ts.emplace_back([&] {
        for (;;) {
          auto res = brigade::select(a, b);
          const auto& v = res.index == 0 ? std::get<0>(res.value) : std::get<1>(res.value);
          if (!v) return;
          ++seen[static_cast<std::size_t>(*v)];
          ++received;
        }
      });
    ts[0].join();
    ts[1].join();
    while (received.load() < 2 * per) std::this_thread::yield();  // everything sent arrives
    a.close();
    b.close();
    for (std::size_t k = 2; k < ts.size(); ++k) ts[k].join();
    expect_each_once(seen, seed);
  }
}

}  // namespace
