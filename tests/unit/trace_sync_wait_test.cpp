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

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace tr = brigade::trace;
using namespace std::chrono_literals;

// The sync waits recorded while `scenario` ran, by label.
std::map<std::string, std::vector<tr::trace_slice>> sync_waits_of(
    const std::function<void()>& scenario) {
  // A file of this process's own: ctest runs tests side by side, each in a process.
  const std::string path =
      ::testing::TempDir() + "sync_waits." + std::to_string(::getpid()) + ".json";
  tr::start();
  scenario();
  tr::stop(path);
  const tr::trace_file t = tr::read_trace_file(path);
  std::remove(path.c_str());
  std::map<std::string, std::vector<tr::trace_slice>> by_label;
  for (const tr::trace_slice& s : t.slices)
    if (s.what == tr::trace_slice::kind::sync_wait) by_label[t.labels.at(s.label)].push_back(s);
  return by_label;
}

std::int64_t length(const tr::trace_slice& s) {
  return s.end_ns - s.begin_ns;
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
  ASSERT_EQ(waits.size(), 1U);
  EXPECT_EQ(waits.count("barrier"), 1U);
  EXPECT_EQ(waits.begin()->second.size(), 1U);
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
  ASSERT_EQ(waits.size(), 1U);
  const std::string& what = waits.begin()->first;
  EXPECT_TRUE(what == "channel receive" || what == "channel send") << what;
  EXPECT_EQ(waits.begin()->second.size(), 1U);
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
  ASSERT_EQ(waits.size(), 1U);
  const std::string& what = waits.begin()->first;
  EXPECT_TRUE(what == "select" || what == "channel send") << what;
  EXPECT_EQ(waits.begin()->second.size(), 1U);
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
