// brigade's sync primitives: mutexes, semaphore, latch, barrier, async_mutex; waiting inside a
// pool worker; lock waits in the trace. Interleavings are pinned with latches, never sleeps.
#include <brigade/core/scope.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/pool/future.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/sync/async_mutex.hpp>
#include <brigade/sync/barrier.hpp>
#include <brigade/sync/latch.hpp>
#include <brigade/sync/mutex.hpp>
#include <brigade/sync/semaphore.hpp>
#include <brigade/sync/shared_mutex.hpp>
#include <brigade/sync/timed_mutex.hpp>
#include <brigade/trace/trace.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <latch>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

template <class F>
void on_threads(int n, F f) {
  std::vector<std::thread> ts;
  for (int i = 0; i < n; ++i) ts.emplace_back([&f, i] { f(i); });
  for (auto& t : ts) t.join();
}

TEST(mutex, counts_exactly_under_contention) {
  brigade::mutex m("counter");
  long counter = 0;
  on_threads(4, [&](int) {
    for (int i = 0; i < 20000; ++i) {
      std::lock_guard g(m);
      ++counter;
    }
  });
  EXPECT_EQ(counter, 4 * 20000);
}

TEST(mutex, try_lock_fails_while_held_elsewhere) {
  brigade::mutex m;
  std::latch held(1), checked(1);
  std::thread owner([&] {
    auto g = m.guard();
    held.count_down();
    checked.wait();
  });
  held.wait();
  EXPECT_FALSE(m.try_lock());
  checked.count_down();
  owner.join();
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST(mutex, locking_twice_on_one_thread_throws) {
  brigade::mutex m;
  auto g = m.guard();
  EXPECT_THROW(m.lock(), std::system_error);
}

TEST(blocking_waits, are_refused_on_pool_workers) {
  // A worker waiting for an event could wait for a job queued behind it: refused, loudly.
  brigade::pool p(1);
  brigade::semaphore sem(0);
  brigade::latch l(1);
  brigade::barrier b(2);
  p.run([&] {
    EXPECT_THROW(sem.blocking_acquire(), std::logic_error);
    EXPECT_THROW(sem.try_acquire_for(1ms), std::logic_error);
    EXPECT_THROW(l.wait(), std::logic_error);
    EXPECT_THROW(b.arrive_and_wait(), std::logic_error);
    EXPECT_FALSE(sem.try_acquire());  // never blocks: fine anywhere
    brigade::mutex m;                 // short critical sections: fine on a worker
    std::lock_guard g(m);
  });
  try {
    p.run([&] { sem.blocking_acquire(); });
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("co_await sem.acquire()"), std::string::npos) << e.what();
  }
}

TEST(mutex, contended_on_a_pool_without_losing_updates) {
  brigade::pool p(4);
  brigade::mutex m;
  long counter = 0;
  std::vector<brigade::future<void>> fs;
  for (int j = 0; j < 64; ++j)
    fs.push_back(brigade::submit(p, [&] {
      for (int i = 0; i < 500; ++i) {
        std::lock_guard g(m);
        ++counter;
      }
    }));
  for (auto& f : fs) f.get();
  EXPECT_EQ(counter, 64 * 500);
}

TEST(timed_mutex, times_out_while_held_then_succeeds) {
  brigade::timed_mutex m("timed");
  std::latch held(1), released(1);
  std::thread owner([&] {
    std::lock_guard g(m);
    held.count_down();
    released.wait();
  });
  held.wait();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(m.try_lock_for(20ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
  EXPECT_FALSE(m.try_lock_until(std::chrono::steady_clock::now() + 1ms));
  released.count_down();
  owner.join();
  EXPECT_TRUE(m.try_lock_for(10s));
  m.unlock();
}

TEST(timed_mutex, waiter_gets_the_lock_when_released_in_time) {
  brigade::timed_mutex m;
  m.lock();
  std::latch started(1);
  bool got = false;
  std::thread waiter([&] {
    started.count_down();
    got = m.try_lock_for(30s);
    if (got) m.unlock();
  });
  started.wait();
  m.unlock();
  waiter.join();
  EXPECT_TRUE(got);
}

TEST(shared_mutex, readers_share_writers_exclude) {
  brigade::shared_mutex m("table");
  std::shared_lock r1(m);
  EXPECT_TRUE(m.try_lock_shared());
  EXPECT_FALSE(m.try_lock());
  m.unlock_shared();
  r1.unlock();
  EXPECT_TRUE(m.try_lock());
  EXPECT_FALSE(m.try_lock_shared());
  m.unlock();
}

TEST(shared_mutex, timed_waits_give_up_and_let_readers_in) {
  brigade::shared_mutex m;
  m.lock_shared();
  EXPECT_FALSE(m.try_lock_for(5ms));  // readers hold it
  // The writer gave up: it no longer keeps new readers out.
  EXPECT_TRUE(m.try_lock_shared_for(5ms));
  m.unlock_shared();
  m.unlock_shared();
  m.lock();
  EXPECT_FALSE(m.try_lock_shared_for(5ms));
  EXPECT_FALSE(m.try_lock_for(1ms));
  m.unlock();
  EXPECT_TRUE(m.try_lock_for(5ms));
  m.unlock();
}

TEST(shared_mutex, a_timed_out_writer_releases_queued_readers) {
  brigade::shared_mutex m;
  m.lock_shared();
  std::latch reader_queued(1);
  std::thread writer([&] { EXPECT_FALSE(m.try_lock_for(50ms)); });
  // While the writer waits, a new reader queues behind it; when the writer times out the
  // reader must get in (the first reader still holds the lock).
  std::thread reader([&] {
    reader_queued.count_down();
    m.lock_shared();
    m.unlock_shared();
  });
  reader_queued.wait();
  writer.join();
  reader.join();
  m.unlock_shared();
}

TEST(shared_mutex, many_readers_and_writers_stay_consistent) {
  brigade::shared_mutex m;
  long a = 0, b = 0;  // invariant a == b, seen by every reader
  std::atomic<long> bad{0};
  on_threads(4, [&](int id) {
    for (int i = 0; i < 3000; ++i) {
      if ((i + id) % 4 == 0) {
        std::lock_guard g(m);
        ++a;
        ++b;
      } else {
        std::shared_lock g(m);
        if (a != b) ++bad;
      }
    }
  });
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(a, 3000);
}

TEST(shared_mutex, a_waiting_writer_blocks_new_readers) {
  brigade::shared_mutex m;
  m.lock_shared();
  std::latch writer_started(1);
  std::thread writer([&] {
    writer_started.count_down();
    m.lock();
    m.unlock();
  });
  writer_started.wait();
  // The writer is queued (or about to be): once it is, new readers must wait behind it.
  while (m.try_lock_shared()) {
    m.unlock_shared();
    std::this_thread::yield();
  }
  m.unlock_shared();
  writer.join();
}

TEST(semaphore, counts_permits) {
  brigade::semaphore s(2);
  EXPECT_TRUE(s.try_acquire());
  EXPECT_TRUE(s.try_acquire());
  EXPECT_FALSE(s.try_acquire());
  EXPECT_FALSE(s.try_acquire_for(5ms));
  s.release(2);
  EXPECT_EQ(s.available(), 2);
  EXPECT_THROW(brigade::semaphore(-1), std::invalid_argument);
  EXPECT_THROW(s.release(-3), std::invalid_argument);
}

TEST(semaphore, blocking_acquire_wakes_on_release) {
  brigade::semaphore s(0);
  std::thread t([&] { s.release(); });
  s.blocking_acquire();
  t.join();
  EXPECT_EQ(s.available(), 0);
}

TEST(semaphore, coroutine_acquire_suspends_until_release) {
  brigade::semaphore s(0);
  std::latch waiting(1);
  std::thread releaser([&] {
    waiting.wait();
    s.release();
  });
  auto body = [&]() -> brigade::task<int> {
    waiting.count_down();
    co_await s.acquire();  // resumed by the releasing thread
    co_return 7;
  };
  EXPECT_EQ(brigade::sync_wait(body()), 7);
  releaser.join();
}

TEST(semaphore, limits_concurrency_of_coroutines_on_a_pool) {
  brigade::pool p(4);
  brigade::semaphore s(2);
  std::atomic<int> inside{0}, most{0};
  auto job = [&]() -> brigade::task<> {
    co_await p.schedule();
    co_await s.acquire();
    const int now = ++inside;
    int m = most.load();
    while (now > m && !most.compare_exchange_weak(m, now)) {
    }
    co_await p.schedule();  // hold the permit across a suspension
    --inside;
    s.release();
  };
  auto all = [&]() -> brigade::task<> {
    brigade::scope sc;
    for (int j = 0; j < 40; ++j) sc.spawn(job());
    co_await sc.join();
  };
  brigade::sync_wait(all());
  EXPECT_LE(most.load(), 2);
  EXPECT_EQ(s.available(), 2);
}

TEST(latch, opens_at_zero_for_threads_and_coroutines) {
  brigade::latch l(3);
  EXPECT_FALSE(l.try_wait());
  EXPECT_FALSE(l.wait_for(1ms));
  std::thread t([&] { l.count_down(2); });
  auto body = [&]() -> brigade::task<> {
    l.count_down();
    co_await l;
  };
  brigade::sync_wait(body());
  t.join();
  EXPECT_TRUE(l.try_wait());
  l.wait();
  EXPECT_THROW(l.count_down(), std::invalid_argument);
}

TEST(barrier, runs_phases_with_completion) {
  int completions = 0;
  brigade::barrier b(3, [&] { ++completions; });
  std::vector<long> sums(3, 0);
  on_threads(3, [&](int id) {
    for (int phase = 0; phase < 5; ++phase) {
      sums[static_cast<std::size_t>(id)] += phase;
      EXPECT_EQ(b.arrive_and_wait(), static_cast<std::uint64_t>(phase));
    }
  });
  EXPECT_EQ(completions, 5);
  for (long s : sums) EXPECT_EQ(s, 10);
}

TEST(barrier, arrive_and_drop_lowers_the_count) {
  brigade::barrier b(2);
  std::thread t([&] { b.arrive_and_drop(); });
  b.arrive_and_wait();  // completes with the dropped thread's arrival
  t.join();
  b.arrive_and_wait();  // now alone
  EXPECT_THROW(brigade::barrier(-1), std::invalid_argument);
}

TEST(async_mutex, coroutines_on_a_pool_do_not_lose_updates) {
  brigade::pool p(4);
  brigade::async_mutex m("account");
  long balance = 0;
  auto deposit = [&]() -> brigade::task<> {
    for (int i = 0; i < 50; ++i) {
      co_await p.schedule();
      auto g = co_await m.lock();
      const long read = balance;
      co_await p.schedule();  // hold the lock across a suspension
      balance = read + 1;
    }
  };
  auto all = [&]() -> brigade::task<> {
    brigade::scope s;
    for (int c = 0; c < 8; ++c) s.spawn(deposit());
    co_await s.join();
  };
  brigade::sync_wait(all());
  EXPECT_EQ(balance, 8 * 50);
}

TEST(async_mutex, try_lock_and_guard) {
  brigade::async_mutex m;
  EXPECT_TRUE(m.try_lock());
  EXPECT_FALSE(m.try_lock());
  {
    brigade::async_mutex::guard g(m);  // adopts
  }
  auto body = [&]() -> brigade::task<bool> {
    auto g = co_await m.lock();
    co_return g.owns_lock();
  };
  EXPECT_TRUE(brigade::sync_wait(body()));
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST(tracing, lock_waits_are_recorded) {
  const std::string path = ::testing::TempDir() + "sync_lock_trace.json";
  brigade::trace::start();
  brigade::timed_mutex m("traced lock");
  std::latch held(1), done(1);
  std::thread owner([&] {
    std::lock_guard g(m);
    held.count_down();
    done.wait();
  });
  held.wait();
  EXPECT_FALSE(m.try_lock_for(2ms));
  done.count_down();
  owner.join();
  brigade::trace::stop(path);
  std::ifstream in(path);
  const std::string json((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(json.find("traced lock"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
