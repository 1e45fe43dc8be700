// Waits for another strand's signal (a semaphore's permit, a latch, a barrier's phase, a
// channel's value or room, a select) are recorded as sync waits: from where the waiting thread or
// coroutine queued to where it ran again, labelled with what it waited for. Each scenario makes
// exactly one party wait whatever the timing (coroutines on one loop run in a fixed order; of
// two threads meeting at a barrier or a rendezvous, the first to arrive waits), so the counts
// are exact.
#include <brigade/brigade.hpp>
#include <brigade/trace/trace.hpp>
#include <brigade/trace_tools/analysis.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace tr = brigade::trace;
using namespace std::chrono_literals;

// The trace of `scenario`.
tr::trace_file recording_of(const std::function<void()>& scenario) {
  // A file of this process's own: ctest runs tests side by side, each in a process.
  const std::string path =
      ::testing::TempDir() + "sync_waits." + std::to_string(::getpid()) + ".json";
  tr::start();
  scenario();
  tr::stop(path);
  tr::trace_file t = tr::read_trace_file(path);
  std::remove(path.c_str());
  return t;
}

// The sync waits recorded while `scenario` ran, by label.
std::map<std::string, std::vector<tr::trace_slice>> sync_waits_of(
    const std::function<void()>& scenario) {
  const tr::trace_file t = recording_of(scenario);
  std::map<std::string, std::vector<tr::trace_slice>> by_label;
  for (const tr::trace_slice& s : t.slices)
    if (s.what == tr::trace_slice::kind::sync_wait) by_label[t.labels.at(s.label)].push_back(s);
  return by_label;
}

std::int64_t length(const tr::trace_slice& s) {
  return s.end_ns - s.begin_ns;
}

// Exactly one wait was recorded, labelled with one of `kinds` (which party waited may depend on
// the timing).
void expect_one_wait(const std::map<std::string, std::vector<tr::trace_slice>>& waits,
                     std::initializer_list<std::string_view> kinds) {
  ASSERT_EQ(waits.size(), 1U);
  const std::string& what = waits.begin()->first;
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), what), kinds.end()) << what;
  EXPECT_EQ(waits.begin()->second.size(), 1U);
}

// On one loop: `wait` starts first and suspends; `signal` sleeps 5 ms, then gives the signal.
void on_one_loop(brigade::task<void> wait, brigade::task<void> signal) {
  brigade::event_loop loop;
  loop.run_until(brigade::when_all(std::move(wait), std::move(signal)));
}

brigade::task<void> after_5ms(std::function<void()> give) {
  co_await brigade::sleep_for(5ms);
  give();
}

TEST(trace_sync_wait, a_coroutine_waiting_for_a_permit_a_latch_or_a_value_is_a_sync_wait) {
  const auto waits = sync_waits_of([] {
    brigade::semaphore sem(0);
    on_one_loop([](brigade::semaphore& s) -> brigade::task<void> { co_await s.acquire(); }(sem),
                after_5ms([&] { sem.release(); }));
    brigade::latch open(1);
    on_one_loop([](brigade::latch& l) -> brigade::task<void> { co_await l; }(open),
                after_5ms([&] { open.count_down(); }));
    brigade::channel<int> ch;
    on_one_loop(
        [](brigade::channel<int>& c) -> brigade::task<void> {
          EXPECT_EQ(co_await c.receive(), 7);
        }(ch),
        after_5ms([&] { EXPECT_TRUE(ch.try_send(7)); }));
    brigade::channel<int> full(1);
    EXPECT_TRUE(full.try_send(1));
    on_one_loop([](brigade::channel<int>& c) -> brigade::task<void> { co_await c.send(2); }(full),
                after_5ms([&] { EXPECT_EQ(full.try_receive(), 1); }));
    brigade::channel<int> x, y;
    on_one_loop(
        [](brigade::channel<int>& a, brigade::channel<int>& b) -> brigade::task<void> {
          EXPECT_EQ((co_await brigade::select(a.receive(), b.receive())).index(), 1U);
        }(x, y),
        after_5ms([&] { EXPECT_TRUE(y.try_send(3)); }));
  });
  for (const char* what : {"semaphore", "latch", "channel receive", "channel send", "select"}) {
    SCOPED_TRACE(what);
    ASSERT_EQ(waits.count(what), 1U);
    ASSERT_EQ(waits.at(what).size(), 1U);
    // The 5 ms sleep, less a timer tick.
    EXPECT_GE(length(waits.at(what).front()), 4'000'000);
  }
  EXPECT_EQ(waits.size(), 5U);
}

TEST(trace_sync_wait, a_wait_that_finds_its_signal_given_records_nothing) {
  const auto waits = sync_waits_of([] {
    brigade::semaphore sem(2);
    sem.blocking_acquire();
    brigade::latch open(0);
    open.wait();
    brigade::channel<int> ch(4);
    ch.blocking_send(1);
    EXPECT_EQ(ch.blocking_receive(), 1);
    brigade::event_loop loop;
    loop.run_until([](brigade::semaphore& s, brigade::channel<int>& c) -> brigade::task<void> {
      co_await s.acquire();
      co_await c.send(2);
      EXPECT_EQ(co_await c.receive(), 2);
    }(sem, ch));
  });
  EXPECT_TRUE(waits.empty());
}

// Of two threads meeting at a barrier, the first to arrive waits for the second.
TEST(trace_sync_wait, a_thread_waiting_at_a_barrier_is_a_sync_wait) {
  const auto waits = sync_waits_of([] {
    brigade::barrier meet(2);
    std::thread other([&] { meet.arrive_and_wait(); });
    std::this_thread::sleep_for(2ms);
    meet.arrive_and_wait();
    other.join();
  });
  expect_one_wait(waits, {"barrier"});
}

// A rendezvous: whichever of sender and receiver comes first waits for the other, once.
TEST(trace_sync_wait, a_thread_waiting_at_a_rendezvous_is_a_sync_wait) {
  const auto waits = sync_waits_of([] {
    brigade::channel<int> meet(0);
    std::thread other([&] { EXPECT_EQ(meet.blocking_receive(), 5); });
    std::this_thread::sleep_for(2ms);
    meet.blocking_send(5);
    other.join();
  });
  expect_one_wait(waits, {"channel receive", "channel send"});
}

// A thread's select on two channels meets a sender on one: whichever comes first waits.
TEST(trace_sync_wait, a_thread_in_select_waits_once) {
  const auto waits = sync_waits_of([] {
    brigade::channel<int> x(0), y(0);
    std::thread other([&] { EXPECT_EQ(brigade::select(x, y).index, 0U); });
    std::this_thread::sleep_for(2ms);
    x.blocking_send(9);
    other.join();
  });
  expect_one_wait(waits, {"select", "channel send"});
}

// A primitive given a name labels its waits "name (kind)".
TEST(trace_sync_wait, a_named_primitive_labels_its_waits_with_its_name) {
  const auto waits = sync_waits_of([] {
    brigade::channel<int> orders(brigade::channel<int>::unbounded, "orders");
    EXPECT_STREQ(orders.name(), "orders");
    on_one_loop(
        [](brigade::channel<int>& c) -> brigade::task<void> { co_await c.receive(); }(orders),
        after_5ms([&] { orders.try_send(1); }));
    brigade::semaphore stoves(0, "stoves");
    on_one_loop([](brigade::semaphore& s) -> brigade::task<void> { co_await s.acquire(); }(stoves),
                after_5ms([&] { stoves.release(); }));
    brigade::latch doors(1, "doors");
    on_one_loop([](brigade::latch& l) -> brigade::task<void> { co_await l; }(doors),
                after_5ms([&] { doors.count_down(); }));
    brigade::barrier service(2, {}, "service");
    std::thread other([&] { service.arrive_and_wait(); });
    service.arrive_and_wait();
    other.join();
  });
  for (const char* what :
       {"orders (channel receive)", "stoves (semaphore)", "doors (latch)", "service (barrier)"}) {
    SCOPED_TRACE(what);
    ASSERT_EQ(waits.count(what), 1U);
    EXPECT_EQ(waits.at(what).size(), 1U);
  }
  EXPECT_EQ(waits.size(), 4U);
}

const tr::trace_segment* segment_with_id(const tr::trace_file& t, std::uint64_t id) {
  for (const tr::trace_segment& s : t.segments)
    if (s.id == id) return &s;
  return nullptr;
}

// The edges that lead from another thread into `lane` at or after `at` (the hand-offs of a signal
// to a waiter there), as (from, to) segments.
std::vector<std::pair<const tr::trace_segment*, const tr::trace_segment*>> edges_into(
    const tr::trace_file& t, std::uint32_t lane, std::int64_t at) {
  std::vector<std::pair<const tr::trace_segment*, const tr::trace_segment*>> found;
  for (const tr::trace_edge& e : t.edges) {
    const tr::trace_segment* from = segment_with_id(t, e.from);
    const tr::trace_segment* to = segment_with_id(t, e.to);
    if (from != nullptr && to != nullptr && from->lane != lane && to->lane == lane &&
        to->begin_ns >= at)
      found.emplace_back(from, to);
  }
  return found;
}

// Of two threads meeting at a rendezvous, the one that waited goes on in a segment after the
// other's: the hand-off is an edge of the DAG, and the wait is not work (no segment spans it).
TEST(trace_sync_wait, a_signal_to_a_waiting_thread_is_an_edge) {
  const tr::trace_file t = recording_of([] {
    brigade::channel<int> meet(0);
    // Each thread ends with a segment of its own, so that the one after the wait is closed
    // (a segment still open when the recording stops is not written).
    std::thread other([&] {
      tr::named("take", [&] { EXPECT_EQ(meet.blocking_receive(), 5); })();
      tr::named("taken", [] {})();
    });
    std::this_thread::sleep_for(2ms);
    tr::named("give", [&] { meet.blocking_send(5); })();
    tr::named("given", [] {})();
    other.join();
  });
  std::vector<tr::trace_slice> waits;
  for (const tr::trace_slice& s : t.slices)
    if (s.what == tr::trace_slice::kind::sync_wait) waits.push_back(s);
  ASSERT_EQ(waits.size(), 1U);
  const tr::trace_slice& w = waits.front();
  for (const tr::trace_segment& s : t.segments) {
    if (s.lane == w.lane) {
      EXPECT_TRUE(s.end_ns <= w.begin_ns || s.begin_ns >= w.end_ns)
          << "segment " << s.id << " spans the wait";
    }
  }
  const auto handoffs = edges_into(t, w.lane, w.end_ns);
  ASSERT_EQ(handoffs.size(), 1U);
  const auto [from, to] = handoffs.front();
  EXPECT_LE(from->end_ns, w.end_ns);  // the signal was given before the waiter went on
  // The waiter went on as the strand it was: after its own segment before the wait too.
  bool after_own = false;
  for (const tr::trace_edge& e : t.edges) {
    const tr::trace_segment* before = segment_with_id(t, e.from);
    after_own |= e.to == to->id && before != nullptr && before->lane == w.lane &&
                 before->end_ns <= w.begin_ns;
  }
  EXPECT_TRUE(after_own);
}

// A coroutine on a loop woken by another thread's send (directly, or through a select) goes on
// in a step after the sender's segment.
TEST(trace_sync_wait, a_signal_to_a_waiting_coroutine_is_an_edge) {
  for (const bool via_select : {false, true}) {
    SCOPED_TRACE(via_select ? "select" : "receive");
    const tr::trace_file t = recording_of([&] {
      brigade::channel<int> ch, other;
      brigade::event_loop loop;
      auto receiver = [&]() -> brigade::task<void> {
        if (via_select)
          co_await brigade::select(other.receive(), ch.receive());
        else
          co_await ch.receive();
      };
      auto sender = [&]() -> brigade::task<void> {  // runs once the receiver waits
        std::thread([&] { tr::named("give", [&] { EXPECT_TRUE(ch.try_send(7)); })(); }).join();
        co_return;
      };
      loop.run_until(brigade::when_all(receiver(), sender()));
    });
    std::uint32_t loop_lane = 0;
    std::int64_t waited_until = -1;
    for (const tr::trace_slice& s : t.slices) {
      if (s.what != tr::trace_slice::kind::sync_wait) continue;
      EXPECT_EQ(waited_until, -1) << "one wait";
      loop_lane = s.lane;
      waited_until = s.end_ns;
    }
    ASSERT_GE(waited_until, 0);
    const auto handoffs = edges_into(t, loop_lane, 0);
    ASSERT_EQ(handoffs.size(), 1U);
    EXPECT_EQ(t.labels.at(handoffs.front().first->label), "give");
    EXPECT_GE(handoffs.front().second->end_ns, waited_until);  // the step that resumed it
  }
}

// Threads and coroutines hand values and permits back and forth while recording: nothing is
// lost, the trace reads back (every wait closed, no cycle among the hand-off edges), and under
// ThreadSanitizer the signal bookkeeping shows no race.
TEST(trace_sync_wait, busy_hand_offs_record_a_consistent_trace) {
  constexpr int per_producer = 2000;
  long received = 0;
  const tr::trace_file t = recording_of([&] {
    brigade::channel<int> ch(2, "work");
    std::atomic<long> sum{0};
    std::vector<std::thread> threads;
    for (int p = 0; p < 2; ++p)
      threads.emplace_back([&] {
        tr::named("produce", [&] {
          for (int i = 1; i <= per_producer; ++i) ch.blocking_send(i);
        })();
      });
    for (int c = 0; c < 2; ++c)
      threads.emplace_back([&] {
        tr::named("consume", [&] {
          while (auto v = ch.blocking_receive()) sum += *v;
        })();
      });
    brigade::semaphore ping(0, "ping"), pong(0, "pong");
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        ping.release();
        pong.blocking_acquire();
      }
    });
    brigade::event_loop loop;
    loop.run_until([](brigade::semaphore& in, brigade::semaphore& out) -> brigade::task<void> {
      for (int i = 0; i < 500; ++i) {
        co_await in.acquire();
        out.release();
      }
    }(ping, pong));
    threads[4].join();
    threads[0].join();
    threads[1].join();
    ch.close();
    threads[2].join();
    threads[3].join();
    received = sum.load();
  });
  EXPECT_EQ(received, 2L * per_producer * (per_producer + 1) / 2);
  const tr::analysis a = tr::analyse(t);  // throws on a cycle
  EXPECT_GT(a.sync_waits, 0U);
  std::map<std::uint64_t, std::uint32_t> lane_of;
  for (const tr::trace_segment& s : t.segments) lane_of[s.id] = s.lane;
  std::size_t hand_offs = 0;  // edges between threads: only signals make them here
  for (const tr::trace_edge& e : t.edges) {
    const auto from = lane_of.find(e.from), to = lane_of.find(e.to);
    hand_offs += from != lane_of.end() && to != lane_of.end() && from->second != to->second;
  }
  EXPECT_GT(hand_offs, 0U);
}

// analyse() sums sync waits, per thread and by what was awaited; describe() reports them.
TEST(trace_sync_wait, the_analysis_counts_them_by_what_was_awaited) {
  tr::trace_file t;
  t.lanes = {{0, 1, 0, "main"}, {0, 1, 1, "worker"}};
  t.labels = {"semaphore", "channel receive"};
  using kind = tr::trace_slice::kind;
  t.slices = {{kind::sync_wait, 0, 0, 0, 100},
              {kind::sync_wait, 1, 1, 50, 350},
              {kind::sync_wait, 1, 0, 400, 450}};
  t.duration_ns = 500;
  const tr::analysis a = tr::analyse(t);
  EXPECT_EQ(a.sync_waits, 3U);
  EXPECT_EQ(a.sync_wait_ns, 450);
  EXPECT_EQ(a.threads.at(0).sync_wait_ns, 100);
  EXPECT_EQ(a.threads.at(1).sync_wait_ns, 350);
  ASSERT_EQ(a.syncs.size(), 2U);
  EXPECT_EQ(t.labels.at(a.syncs[0].label), "channel receive");  // the most waited-for first
  EXPECT_EQ(a.syncs[0].waits, 1U);
  EXPECT_EQ(a.syncs[0].wait_ns, 300);
  EXPECT_EQ(a.syncs[1].waits, 2U);
  EXPECT_EQ(a.syncs[1].wait_ns, 150);
  EXPECT_EQ(a.syncs[1].max_wait_ns, 100);
  EXPECT_EQ(a.lock_waits, 0U);
  const std::string text = tr::describe(a, t);
  EXPECT_NE(text.find("sync waits     3 (450 ns)"), std::string::npos) << text;
  EXPECT_NE(text.find("channel receive: 1 waits, 300 ns in all, longest 300 ns"), std::string::npos)
      << text;
  EXPECT_NE(text.find("waiting for signals 350 ns"), std::string::npos) << text;
}

}  // namespace
