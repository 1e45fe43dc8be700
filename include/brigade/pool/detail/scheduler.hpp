// The machinery under brigade::pool: workers with their deques, the injection queue, and the
// sleep/wake protocol. Inline here is only what fork-join needs on its fast path; the rest is
// in src/pool/. See src/pool/README.md for the sleep/wake states and the races they prevent.
#pragma once

#include <brigade/core/detail/atomic.hpp>
#include <brigade/pool/detail/chase_lev_deque.hpp>
#include <brigade/pool/detail/job.hpp>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace brigade::detail {

class scheduler;

/// A condition a worker waits for while it helps: ready(ctx) must be cheap, thread-safe, and
/// become true through a seq_cst write by the thread that then calls scheduler::wake(waiter).
struct wait_condition {
  bool (*ready)(const void* ctx) noexcept;
  const void* ctx;
  bool operator()() const noexcept { return ready(ctx); }
};

/// One thread of a pool.
class worker {
 public:
  /// Errors: std::bad_alloc (the deque's first ring).
  worker(scheduler& s, std::size_t index, std::uint64_t seed)
      : sched_(s), index_(index), rng_(seed | 1) {}
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  scheduler& sched() const noexcept { return sched_; }
  std::size_t index() const noexcept { return index_; }
  chase_lev_deque& deque() noexcept { return deque_; }

  /// Makes j available to thieves and wakes a sleeping worker if there is one; false (nothing
  /// done) when the deque is full and cannot grow for want of memory. Every caller has a way
  /// on without it (join runs both branches, a task goes to the injection queue, a graph node
  /// or a woken coroutine runs here).
  [[nodiscard]] inline bool try_push(job* j) noexcept;

  /// The most recently pushed job still here, or nullptr.
  job* pop() noexcept { return deque_.pop(); }

  /// Runs jobs (own, injected, stolen) until `done()` is true; sleeps when there is nothing to
  /// run. Never blocks the pool: every job a waiting worker could run, it runs.
  void help_until(wait_condition done) noexcept;

  /// Cheap per-thread random numbers (xorshift64) for victim choice.
  std::uint64_t next_random() noexcept {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return rng_;
  }

 private:
  friend class scheduler;

  chase_lev_deque deque_;
  scheduler& sched_;
  std::size_t index_;
  std::uint64_t rng_;
  // The thread's kernel id, for per-thread scheduling settings. Release by the worker when it
  // starts, acquire by set_nice(), which waits for it.
  atomic<int> tid_{0};
  // 1 while parked (or about to park); set back to 0 by whoever wakes it. The futex word.
  alignas(cache_line) atomic<std::uint32_t> sleep_word_{0};
};

/// Blocks asynchronous signals in the calling thread (brigade's own threads do this first).
void block_async_signals() noexcept;

/// Blocks asynchronous signals in the calling thread while it lives, so that threads created
/// meanwhile start with them blocked (no window in which a SIGTERM meant for a signal_set kills
/// the process through a thread that has not blocked it yet); restores the mask after.
class async_signals_blocked {
 public:
  async_signals_blocked() noexcept;
  ~async_signals_blocked();
  async_signals_blocked(const async_signals_blocked&) = delete;
  async_signals_blocked& operator=(const async_signals_blocked&) = delete;

 private:
  alignas(8) unsigned char saved_[128];  // a sigset_t (checked in scheduler.cpp)
};

/// The thread that runs the pool's jobs, or nullptr on other threads.
extern constinit thread_local worker* tls_current_worker;

inline worker* current_worker() noexcept {
  return tls_current_worker;
}

/// Shared state of a pool: its workers, its injection queue, and the sleep/wake protocol.
class scheduler {
 public:
  explicit scheduler(std::size_t threads);
  ~scheduler();  // finishes queued work, then joins the threads
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  std::size_t size() const noexcept { return workers_.size(); }

  /// Queues a job from outside the pool (any thread), through the job's own link: allocates
  /// nothing. Thread-safe.
  void inject(job* j) noexcept;

  /// After publishing work from outside the pool: wakes a sleeping worker if any might be
  /// asleep. The fence orders the publication (injection count) before the read of sleeping_,
  /// pairing with park()'s seq_cst announcement and re-check: one side sees the other.
  void notify_work() noexcept {
    std::atomic_thread_fence(memory_order_seq_cst);
    if (sleeping_.load(memory_order_relaxed) != 0) wake_one();
  }

  /// After a worker pushed on its own deque: the fork-join fast path, without the fence (it
  /// costs a third of a join). A worker announcing sleep at that very instant may miss the job;
  /// park() closes that window by looking again after a short nap (src/pool/README.md). The
  /// job itself is never lost: its owner pops it if nobody steals it.
  void notify_work_from_worker() noexcept {
    if (sleeping_.load(memory_order_relaxed) != 0) wake_one();
  }

  /// Wakes w if it is parked. Returns whether it was.
  bool wake(worker& w) noexcept;

  /// Looks for one job: own deque, then the injection queue, then a random victim. A worker
  /// that is waiting for a stolen branch (`helping`) tries victims before the injection queue:
  /// a new root job from outside could keep it from its own continuation for a long time.
  job* find_work(worker& w, bool helping) noexcept;

  /// Parks w until woken, unless work, stop or `done` is already visible.
  void park(worker& w, const wait_condition* done) noexcept;

  worker& worker_at(std::size_t i) noexcept { return *workers_[i]; }

  /// Sets every worker thread's niceness (see pool::set_worker_nice).
  void set_nice(int nice);

 private:
  void wake_one() noexcept;
  job* take_injected() noexcept;
  job* steal_from_others(worker& w) noexcept;
  bool work_visible(const worker& w) const noexcept;
  void worker_main(worker& w, const char* name) noexcept;

  unsigned pool_number_;  // 1 for the first pool created: names its threads in traces
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::thread> threads_;

  std::mutex inject_mu_;
  // The injection queue, first in, first out through job::injected_next_; guarded by
  // inject_mu_.
  job* injected_head_ = nullptr;
  job* injected_tail_ = nullptr;
  std::size_t injected_size_ = 0;
  alignas(cache_line) atomic<std::size_t> injected_count_{0};  // mirror of injected_size_
  // inject() calls still running. A thread outside the pool (an MPI progress agent, a timer)
  // may inject the job that lets the pool's owner finish and destroy the pool while that
  // thread is still in notify_work(): the destructor waits until this is 0. Incremented
  // relaxed (it is ordered before the job is published, under inject_mu_, and publishing
  // happens before anything that could lead to the destructor); decremented with release,
  // read by the destructor with acquire, so the injector's last access to *this happens
  // before the memory is freed.
  atomic<std::uint32_t> injecting_{0};
  alignas(cache_line) atomic<std::uint32_t> sleeping_{0};  // workers parked or parking
  alignas(cache_line) atomic<bool> stopping_{false};
};

inline bool worker::try_push(job* j) noexcept {
  if (!deque_.try_push(j)) return false;
  sched_.notify_work_from_worker();
  return true;
}

/// Queues j on s: on the calling worker's deque when it is one of s's workers, else (or when
/// that deque is full and cannot grow for want of memory) on s's injection queue, which
/// allocates nothing.
inline void queue_job(scheduler& s, job* j) noexcept {
  worker* w = current_worker();
  if (w != nullptr && &w->sched() == &s && w->try_push(j)) return;
  s.inject(j);
}

}  // namespace brigade::detail
