// brigade::runtime and offload: the loop keeps serving while the pool computes; single-threaded
// mode; several loops; hops between loop and pool.
#include <brigade/core/when_all.hpp>
#include <brigade/io/offload.hpp>
#include <brigade/io/runtime.hpp>
#include <brigade/io/timer.hpp>
#include <brigade/pool/future.hpp>

#include <brigade/io/file.hpp>
#include <brigade/par/parallel_for.hpp>
#include <brigade/par/parallel_reduce.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;

TEST(runtime, block_on_runs_on_the_calling_thread) {
  brigade::runtime rt(brigade::runtime::options{.threads = 2});
  const auto me = std::this_thread::get_id();
  auto body = [&]() -> brigade::task<bool> { co_return std::this_thread::get_id() == me; };
  EXPECT_TRUE(rt.block_on(body()));
}

TEST(runtime, hop_to_the_pool_and_back) {
  brigade::runtime rt(brigade::runtime::options{.threads = 2});
  auto body = [&]() -> brigade::task<int> {
    int where = 0;
    co_await rt.pool().schedule();
    if (rt.pool().owns_current_thread()) where += 1;
    co_await rt.loop().schedule();
    if (rt.loop().on_loop_thread()) where += 2;
    co_return where;
  };
  EXPECT_EQ(rt.block_on(body()), 3);
}

TEST(runtime, offload_resumes_on_the_loop_and_the_loop_keeps_serving) {
  brigade::runtime rt(brigade::runtime::options{.threads = 2});
  std::atomic<bool> release{false};
  auto body = [&]() -> brigade::task<int> {
    int ticks_while_computing = 0;
    auto compute = [&]() -> brigade::task<int> {
      const int v = co_await brigade::offload([&] {
        // Holds a pool worker until the loop has proven it keeps running.
        while (!release.load()) std::this_thread::yield();
        return 41;
      });
      if (!rt.loop().on_loop_thread()) throw std::logic_error("resumed off the loop");
      co_return v + 1;
    };
    auto ticker = [&]() -> brigade::task<void> {
      for (int i = 0; i < 3; ++i) {
        co_await brigade::sleep_for(1ms);
        ++ticks_while_computing;
      }
      release = true;
    };
    auto [v, t] = co_await brigade::when_all(compute(), ticker());
    (void)t;
    co_return v + ticks_while_computing;
  };
  EXPECT_EQ(rt.block_on(body()), 45);
}

TEST(runtime, offload_exception_reaches_the_coroutine) {
  brigade::runtime rt(brigade::runtime::options{.threads = 1});
  auto body = []() -> brigade::task<void> {
    co_await brigade::offload([]() -> int { throw std::range_error("offloaded"); });
  };
  EXPECT_THROW(rt.block_on(body()), std::range_error);
}

TEST(runtime, offload_cancelled_while_queued_never_runs_and_resumes_at_once) {
  std::atomic<bool> release{false};
  std::atomic<bool> victim_ran{false};
  bool victim_cancelled = false;
  {
    brigade::runtime rt(brigade::runtime::options{.threads = 1});
    std::stop_source stop;
    auto body = [&]() -> brigade::task<void> {
      // The one worker is held by the blocker, so the victim waits in the queue behind it.
      auto blocker = [&]() -> brigade::task<void> {
        co_await brigade::offload([&] {
          while (!release.load()) std::this_thread::yield();
        });
      };
      auto victim = [&]() -> brigade::task<void> {
        try {
          co_await brigade::offload([&] { victim_ran = true; });
        } catch (const brigade::operation_cancelled&) {
          victim_cancelled = true;
        }
        release = true;  // only now: the cancellation did not wait for the worker
      };
      auto canceller = [&]() -> brigade::task<void> {
        co_await rt.loop().schedule();  // after both offloads have suspended
        stop.request_stop();
      };
      co_await brigade::when_all(blocker(), brigade::with_stop_token(victim(), stop.get_token()),
                                 canceller());
    };
    rt.block_on(body());
  }  // the pool has popped (and dropped) the victim's job by now
  EXPECT_TRUE(victim_cancelled);
  EXPECT_FALSE(victim_ran.load());
}

TEST(runtime, offload_passes_the_stop_token_to_work_that_takes_one) {
  brigade::runtime rt(brigade::runtime::options{.threads = 1});
  std::stop_source stop;
  std::atomic<bool> started{false};
  auto body = [&]() -> brigade::task<int> {
    auto work = [&]() -> brigade::task<int> {
      co_return co_await brigade::offload([&](std::stop_token token) {
        started = true;
        while (!token.stop_requested()) std::this_thread::yield();
        return 5;  // stopped early, with an answer of its own
      });
    };
    auto canceller = [&]() -> brigade::task<void> {
      while (!started.load()) co_await rt.loop().schedule();
      stop.request_stop();
    };
    auto [v, c] =
        co_await brigade::when_all(brigade::with_stop_token(work(), stop.get_token()), canceller());
    (void)c;
    co_return v;
  };
  EXPECT_EQ(rt.block_on(body()), 5);
}

TEST(runtime, offload_with_a_stop_already_requested_runs_nothing) {
  brigade::runtime rt(brigade::runtime::options{.threads = 1});
  std::stop_source stop;
  stop.request_stop();
  bool ran = false;
  auto work = [&]() -> brigade::task<void> { co_await brigade::offload([&] { ran = true; }); };
  EXPECT_THROW(rt.block_on(brigade::with_stop_token(work(), stop.get_token())),
               brigade::operation_cancelled);
  EXPECT_FALSE(ran);
}

TEST(runtime, offload_to_a_named_pool_runs_there_even_single_threaded) {
  brigade::runtime rt(brigade::runtime::options{.single_threaded = true});
  brigade::pool lane(1);
  auto body = [&]() -> brigade::task<bool> {
    const bool on_lane =
        co_await brigade::offload(lane, [&] { return lane.owns_current_thread(); });
    co_return on_lane&& rt.loop().on_loop_thread();
  };
  EXPECT_TRUE(rt.block_on(body()));
}

TEST(runtime, future_awaited_on_a_loop_resumes_on_the_loop) {
  brigade::runtime rt(brigade::runtime::options{.threads = 2});
  auto body = [&]() -> brigade::task<bool> {
    auto f = brigade::submit(rt.pool(), [] { return 1; });
    co_await f;
    co_return rt.loop().on_loop_thread();
  };
  EXPECT_TRUE(rt.block_on(body()));
}

TEST(runtime, single_threaded_runs_everything_on_one_thread) {
  brigade::runtime rt(brigade::runtime::options{.single_threaded = true});
  EXPECT_FALSE(rt.has_pool());
  EXPECT_THROW(rt.pool(), std::logic_error);
  const auto me = std::this_thread::get_id();
  auto body = [&]() -> brigade::task<bool> {
    const auto where = co_await brigade::offload([] { return std::this_thread::get_id(); });
    co_return where == me;
  };
  EXPECT_TRUE(rt.block_on(body()));
}

TEST(runtime, several_loops_run_on_their_own_threads) {
  brigade::runtime rt(brigade::runtime::options{.threads = 1, .loops = 3});
  EXPECT_EQ(rt.loop_count(), 3u);
  auto body = [&]() -> brigade::task<int> {
    int distinct = 0;
    for (std::size_t i = 1; i < rt.loop_count(); ++i) {
      co_await rt.loop(i).schedule();
      if (rt.loop(i).on_loop_thread()) ++distinct;
    }
    co_await rt.loop().schedule();
    co_return distinct;
  };
  EXPECT_EQ(rt.block_on(body()), 2);
}

// The threads of this process, from /proc.
std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task"))
    ++n;
  return n;
}

TEST(runtime, uses_the_process_pool_so_free_algorithms_beside_it_add_no_threads) {
  brigade::pool& process_pool = brigade::pool::global();
  const std::size_t before = thread_count();
  {
    brigade::runtime rt;  // one loop (on this thread) and the process's pool
    EXPECT_EQ(&rt.pool(), &process_pool);
    auto body = [&]() -> brigade::task<long> {
      co_return co_await brigade::offload([] {
        return brigade::parallel_reduce(
            0L, 1000L, 0L,
            [](long b, long e, long acc) {
              for (long i = b; i < e; ++i) acc += i;
              return acc;
            },
            [](long a, long b) { return a + b; });
      });
    };
    EXPECT_EQ(rt.block_on(body()), 499500);
    std::atomic<long> sum{0};
    brigade::parallel_for(0, 100, [&](std::size_t i) { sum += static_cast<long>(i); });
    EXPECT_EQ(sum.load(), 4950);
    EXPECT_EQ(thread_count(), before);
  }
  EXPECT_EQ(thread_count(), before);  // and it leaves the process's pool running
}

TEST(runtime, threads_asks_for_a_pool_of_its_own) {
  brigade::runtime rt(brigade::runtime::options{.threads = 3});
  EXPECT_NE(&rt.pool(), &brigade::pool::global());
  EXPECT_EQ(rt.pool().size(), 3u);
}

TEST(runtime, single_threaded_starts_no_thread_even_for_files_on_epoll) {
  const std::size_t before = thread_count();
  brigade::runtime rt(
      brigade::runtime::options{.single_threaded = true, .backend = brigade::io_backend::epoll});
  const std::string path = "/tmp/brigade_runtime_test_" + std::to_string(::getpid());
  auto body = [&]() -> brigade::task<std::string> {
    brigade::file f(rt.loop(), path, brigade::file::mode::write);
    const std::string text = "on the loop itself";
    co_await f.write_at(std::as_bytes(std::span(text)), 0);
    brigade::file r(rt.loop(), path, brigade::file::mode::read);
    std::string back(text.size(), '\0');
    const std::size_t n = co_await r.read_at(std::as_writable_bytes(std::span(back)), 0);
    back.resize(n);
    co_return back;
  };
  EXPECT_EQ(rt.block_on(body()), "on the loop itself");
  EXPECT_EQ(thread_count(), before);
  std::remove(path.c_str());
}

TEST(runtime, bad_options_are_errors) {
  EXPECT_THROW(brigade::runtime(brigade::runtime::options{.loops = 0}), std::invalid_argument);
  EXPECT_THROW(brigade::runtime(brigade::runtime::options{.loops = 2, .single_threaded = true}),
               std::invalid_argument);
  brigade::runtime rt(brigade::runtime::options{.threads = 1});
  EXPECT_THROW(rt.loop(5), std::out_of_range);
}

}  // namespace
