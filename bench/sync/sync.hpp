// The synchronization benchmarks: brigade::mutex against std::mutex, and brigade::channel
// against oneTBB's concurrent_bounded_queue and moodycamel's BlockingConcurrentQueue. One
// factory per workload (mutex.cpp, channel.cpp); main.cpp runs them on the shared harness.
#pragma once

#include "harness/suite.hpp"

#include <latch>
#include <thread>
#include <vector>

namespace bench::sync {

/// A workload's group and the thread counts it runs at (fixed per workload: the series
/// differ in what a thread count means, see each factory).
struct workload {
  group g;
  std::vector<int> threads;
};

/// One thread locking and unlocking, 10^7 times: brigade::mutex with checked mode off
/// ("brigade") and on ("checked"), std::mutex ("std").
workload make_mutex_uncontended(const config& c);
/// 2 and nproc threads incrementing one counter under the lock, 10^6 increments in all.
workload make_mutex_contended(const config& c);
/// 2 and 4 threads incrementing one counter under a one-permit semaphore, 10^6 increments in
/// all: brigade::semaphore against std::counting_semaphore ("std").
workload make_semaphore_contended(const config& c);
/// 2 and 4 threads meeting at a fresh latch per round, 2 * 10^4 rounds: brigade::latch against
/// std::latch ("std").
workload make_latch(const config& c);
/// 10^6 ints through a queue of capacity 1024; threads/2 producers and threads/2 consumers,
/// at 2 and 8 threads (1:1 and 4:4).
workload make_channel(const config& c);
/// 2 * 10^7 increments through local() split over 1, 2 and nproc threads, then a combine:
/// brigade::combinable against tbb::combinable ("tbb") and enumerable_thread_specific ("ets").
workload make_combinable(const config& c);

/// Runs f(0) .. f(n - 1) on n new std::threads, released together, and joins them. Thread
/// creation is inside the timed part, the same for every implementation.
template <class F>
void run_threads(int n, F f) {
  std::latch go(n);
  std::vector<std::thread> ts;
  ts.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    ts.emplace_back([&go, &f, i] {
      go.arrive_and_wait();
      f(i);
    });
  for (std::thread& t : ts) t.join();
}

}  // namespace bench::sync
