// Stopping a loop from outside while run_until's task waits (on a timer, an accept, a read,
// or a scope of such children): the waits end with operation_cancelled, run_until reports it,
// nothing is touched after it is freed (ASan), and the loop stays usable.
#include <brigade/core/scope.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/tcp.hpp>
#include <brigade/io/timer.hpp>

#include "support/backends.hpp"
#include "support/raw_client.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <span>
#include <thread>

namespace {

using namespace std::chrono_literals;
using brigade::testing::on_loop;

enum class waits_on { sleep, accept, read };

using brigade::testing::raw_client;

class outside_stop : public on_loop {
 protected:
  // One wait of the given kind; counts the cancellation it sees, and passes it on.
  brigade::task<void> wait_on(waits_on what, brigade::tcp_listener& l) {
    try {
      switch (what) {
        case waits_on::sleep:
          co_await brigade::sleep_for(1h);
          break;
        case waits_on::accept:
          (void)co_await l.accept();
          break;
        case waits_on::read: {
          brigade::tcp_stream s = co_await l.accept();  // the client connected already
          char buf[16];
          (void)co_await s.read(std::span<char>(buf));  // the client never writes
          break;
        }
      }
    } catch (const brigade::operation_cancelled&) {
      cancelled_.fetch_add(1);
      throw;
    }
  }

  // Stops the loop from another thread on the loop's next turn, that is after the task that
  // called this has suspended on its operation.
  void stop_once_suspended() {
    loop().post([this] { stopper_ = std::thread([this] { loop().stop(); }); });
  }

  void TearDown() override {
    if (stopper_.joinable()) stopper_.join();
  }

  std::atomic<int> cancelled_{0};
  std::thread stopper_;
};

TEST_P(outside_stop, cancels_each_kind_of_wait_and_the_loop_stays_usable) {
  for (const waits_on what : {waits_on::sleep, waits_on::accept, waits_on::read}) {
    SCOPED_TRACE(static_cast<int>(what));
    cancelled_ = 0;
    brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
    std::unique_ptr<raw_client> client;
    if (what == waits_on::read) client = std::make_unique<raw_client>(l.local_endpoint());
    auto body = [&]() -> brigade::task<int> {
      stop_once_suspended();
      co_await wait_on(what, l);
      co_return 1;
    };
    EXPECT_THROW(loop().run_until(body()), brigade::operation_cancelled);
    EXPECT_EQ(cancelled_.load(), 1);
    stopper_.join();
    auto ok = []() -> brigade::task<int> { co_return 7; };
    EXPECT_EQ(loop().run_until(ok()), 7);  // the stop was used up; the loop runs on
  }
}

TEST_P(outside_stop, ends_a_scope_of_waiting_children_without_aborting) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  raw_client client(l.local_endpoint());
  brigade::tcp_listener idle(loop(), brigade::endpoint::loopback(0));
  auto body = [&]() -> brigade::task<void> {
    brigade::scope s;  // not linked to the task's token: the loop's cancellation ends them
    s.spawn(wait_on(waits_on::read, l));
    s.spawn(wait_on(waits_on::sleep, l));
    s.spawn(wait_on(waits_on::accept, idle));
    stop_once_suspended();
    co_await s.join();
  };
  EXPECT_THROW(loop().run_until(body()), brigade::operation_cancelled);
  EXPECT_EQ(cancelled_.load(), 3);
}

TEST_P(outside_stop, a_stop_before_run_until_cancels_its_first_wait) {
  loop().stop();
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  EXPECT_THROW(loop().run_until(wait_on(waits_on::sleep, l)), brigade::operation_cancelled);
  EXPECT_EQ(cancelled_.load(), 1);
}

TEST_P(outside_stop, a_task_that_handles_the_cancellation_returns_its_value) {
  auto body = [&]() -> brigade::task<int> {
    stop_once_suspended();
    try {
      co_await brigade::sleep_for(1h);
    } catch (const brigade::operation_cancelled&) {
      co_return 42;  // cleaned up and answered: run_until passes the answer on
    }
    co_return 0;
  };
  EXPECT_EQ(loop().run_until(body()), 42);
}

BRIGADE_INSTANTIATE_ON_BACKENDS(outside_stop);

TEST(scope, destroyed_during_a_join_names_the_running_child) {
  // The abort message counts the child still running while a join waits for it (the join has
  // given up the scope's own share of the count).
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        brigade::event_loop loop;
        auto body = [&]() -> brigade::task<void> {
          auto s = std::make_unique<brigade::scope>();
          s->spawn([]() -> brigade::task<void> { co_await brigade::sleep_for(1h); }());
          auto joiner = [](brigade::scope& sc) -> brigade::task<void> { co_await sc.join(); };
          brigade::scope outer;
          outer.spawn(joiner(*s));
          s.reset();  // destroyed while its join waits: the bug this message reports
          co_await outer.join();
        };
        loop.run_until(body());
      },
      "destroyed with 1 child task\\(s\\) still running");
}

}  // namespace
