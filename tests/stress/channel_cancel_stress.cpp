// Cancellation racing hand-offs: coroutines on a pool send and receive (directly or through
// select) while a thread requests stop on their waits at random. Every completed send is
// received exactly once or still queued; a cancelled send's value never arrives; a cancelled
// receive takes nothing. Prints its seed; sizes scale with BRIGADE_STRESS_SCALE.
#include <brigade/core/scope.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/sync/channel.hpp>
#include <brigade/sync/select.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <thread>
#include <vector>

namespace {

using brigade::testing::scaled;
using brigade::testing::test_seed;
using chan = brigade::channel<int>;

// One participant's current wait, which the canceller may stop.
struct cancel_slot {
  std::mutex m;
  std::stop_source src;
  std::stop_token fresh() {
    std::lock_guard lock(m);
    src = std::stop_source();
    return src.get_token();
  }
  void cancel() {
    std::stop_source s;
    {
      std::lock_guard lock(m);
      s = src;
    }
    // Outside the lock: the stopped coroutine may resume inline here and take a fresh token.
    s.request_stop();
  }
};

brigade::task<> send_one(chan& a, chan& b, int v, bool via_select) {
  if (via_select) {
    co_await brigade::select(a.send(v), b.send(v));
  } else {
    co_await a.send(v);
  }
}

brigade::task<std::optional<int>> receive_one(chan& a, chan& b, bool via_select) {
  if (!via_select) co_return co_await a.receive();
  auto r = co_await brigade::select(a.receive(), b.receive());
  co_return r.index() == 0 ? std::get<0>(r) : std::get<1>(r);
}

void run_round(unsigned seed, bool via_select) {
  std::mt19937 gen(seed);
  const std::size_t caps[] = {0, 1, 3, chan::unbounded};
  chan a(caps[gen() % 4]), b(caps[gen() % 4]);
  const int producers = 1 + static_cast<int>(gen() % 3);
  const int consumers = 1 + static_cast<int>(gen() % 3);
  const int per = static_cast<int>(scaled(400));
  std::vector<std::atomic<int>> sent(static_cast<std::size_t>(producers * per));
  std::vector<std::atomic<int>> got(sent.size());
  std::vector<std::unique_ptr<cancel_slot>> slots;
  for (int k = 0; k < producers + consumers; ++k) slots.push_back(std::make_unique<cancel_slot>());
  std::atomic<bool> done{false};
  std::atomic<int> consumers_left{consumers};
  brigade::pool pool(4);

  std::thread canceller([&, seed] {
    std::mt19937 g(seed * 7 + 1);
    while (consumers_left.load() > 0) {
      if (done.load()) {
        for (int c = 0; c < consumers; ++c)
          slots[static_cast<std::size_t>(producers + c)]->cancel();
      } else {
        slots[g() % slots.size()]->cancel();
      }
      std::this_thread::yield();
    }
  });
  auto produce = [&](int p) -> brigade::task<> {
    co_await pool.schedule();
    for (int i = 0; i < per; ++i) {
      const int v = p * per + i;
      try {
        co_await brigade::with_stop_token(send_one(a, b, v, via_select),
                                          slots[static_cast<std::size_t>(p)]->fresh());
        ++sent[static_cast<std::size_t>(v)];
      } catch (const brigade::operation_cancelled&) {
      }
    }
  };
  auto consume = [&](int c) -> brigade::task<> {
    co_await pool.schedule();
    cancel_slot& slot = *slots[static_cast<std::size_t>(producers + c)];
    while (!done.load()) {
      try {
        auto v = co_await brigade::with_stop_token(receive_one(a, b, via_select), slot.fresh());
        if (v) ++got[static_cast<std::size_t>(*v)];
      } catch (const brigade::operation_cancelled&) {
      }
    }
    --consumers_left;
  };
  auto all = [&]() -> brigade::task<> {
    brigade::scope cs;
    for (int c = 0; c < consumers; ++c) cs.spawn(consume(c));
    {
      brigade::scope ps;
      for (int p = 0; p < producers; ++p) ps.spawn(produce(p));
      co_await ps.join();
    }
    done = true;  // the canceller now stops the consumers' waits until they are all out
    co_await cs.join();
  };
  brigade::sync_wait(all());
  canceller.join();

  std::vector<int> queued(sent.size(), 0);
  while (auto v = a.try_receive()) ++queued[static_cast<std::size_t>(*v)];
  while (auto v = b.try_receive()) ++queued[static_cast<std::size_t>(*v)];
  long n_sent = 0, n_got = 0, n_queued = 0;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    ASSERT_EQ(sent[i].load(), got[i].load() + queued[i]) << "value " << i << " seed " << seed;
    n_sent += sent[i].load();
    n_got += got[i].load();
    n_queued += queued[i];
  }
  EXPECT_EQ(n_sent, n_got + n_queued) << "seed " << seed;
}

TEST(channel_cancel_stress, cancel_races_send_and_receive) {
  const unsigned base = test_seed(51);
  for (std::size_t r = 0; r < scaled(16); ++r) run_round(base + static_cast<unsigned>(r), false);
}

TEST(channel_cancel_stress, cancel_races_select_on_both_sides) {
  const unsigned base = test_seed(67);
  for (std::size_t r = 0; r < scaled(16); ++r) run_round(base + static_cast<unsigned>(r), true);
}

}  // namespace
