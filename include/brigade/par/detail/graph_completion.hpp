// The end of one run of a task graph or a pipeline: who waits for it (a pool worker that helps,
// a plain thread that sleeps, or a suspended coroutine) and how the last finisher wakes them.
#pragma once

#include <brigade/core/detail/atomic.hpp>
#include <brigade/core/detail/resume_context.hpp>
#include <brigade/pool/detail/scheduler.hpp>

#include <condition_variable>
#include <coroutine>
#include <mutex>

namespace brigade::detail {

/// The waiter of one run. Armed by the thread that starts the run, before any job of the run is
/// published; signalled exactly once by the thread that finishes the run's last piece of work.
///
/// The rule that keeps the owner's state alive: signal() must be the finisher's last access to
/// the run's state. After it, the waiter may return and destroy the graph or pipeline. signal()
/// itself copies what it needs first, and the thread waiter sleeps under mu_, so it cannot
/// return before signal() has released the lock.
class run_completion {
 public:
  /// A worker of the pool that runs the work will wait in wait_helping().
  void arm_worker(worker& w) noexcept {
    kind_ = waiter_kind::worker;
    worker_ = &w;
    done_.store(0, memory_order_relaxed);  // published to the run's jobs by their push/inject
  }

  /// A thread outside the pool will wait in wait_sleeping().
  void arm_thread() noexcept {
    kind_ = waiter_kind::thread;
    done_.store(0, memory_order_relaxed);
  }

  /// A coroutine is suspended on the run: resume it through `where` (its event loop), or
  /// inline on the finishing worker when `where` is null.
  void arm_coroutine(std::coroutine_handle<> h, resume_context* where) noexcept {
    kind_ = waiter_kind::coroutine;
    coroutine_ = h;
    where_ = where;
    done_.store(0, memory_order_relaxed);
  }

  /// Wakes the waiter. Called once per run, as the finisher's last access to the run's state.
  void signal() noexcept {
    switch (kind_) {
      case waiter_kind::worker: {
        worker& w = *worker_;  // read before done_: the waiter may return right after
        // seq_cst: pairs with scheduler::park's announce-then-recheck of is_done (the same
        // protocol as fork_job::done_). Also publishes the run's results (release) to the
        // waiter's seq_cst load in is_done.
        done_.store(1, memory_order_seq_cst);
        w.sched().wake(w);
        return;
      }
      case waiter_kind::thread: {
        // Under the lock: the sleeper re-checks done_ under it, so it can neither miss this
        // store nor return (and destroy *this) before we release the lock.
        std::lock_guard lock(mu_);
        done_.store(1, memory_order_relaxed);
        cv_.notify_one();
        return;
      }
      case waiter_kind::coroutine: {
        const std::coroutine_handle<> h = coroutine_;
        resume_context* where = where_;
        // No store needed: the coroutine is suspended until we resume it; resume_later hands
        // it over through the loop's queue (a lock: release/acquire), inline resume is this
        // thread.
        if (where != nullptr) {
          where->resume_later(h);
        } else {
          h.resume();
        }
        return;
      }
    }
  }

  /// The armed worker helps (runs other jobs) until signal().
  void wait_helping(worker& w) noexcept { w.help_until(wait_condition{&is_done, this}); }

  /// The armed thread sleeps until signal().
  void wait_sleeping() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return done_.load(memory_order_relaxed) != 0; });
  }

 private:
  enum class waiter_kind { worker, thread, coroutine };

  static bool is_done(const void* self) noexcept {
    // seq_cst pairs with signal()'s seq_cst store (see there).
    return static_cast<const run_completion*>(self)->done_.load(memory_order_seq_cst) != 0;
  }

  waiter_kind kind_ = waiter_kind::thread;
  worker* worker_ = nullptr;
  std::coroutine_handle<> coroutine_;
  resume_context* where_ = nullptr;
  atomic<unsigned> done_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace brigade::detail
