// brigade::semaphore — a counting semaphore for threads and coroutines.
//
// Names: `co_await sem.acquire()` is the coroutine form (the plain verb is the awaitable);
// blocking_acquire() puts the calling thread to sleep; try_acquire() never blocks;
// try_acquire_for/_until wait at most the given time (the standard library's names).
#pragma once

#include <brigade/core/detail/atomic.hpp>
#include <brigade/core/errors.hpp>
#include <brigade/core/task.hpp>
#include <brigade/sync/detail/waiter.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <mutex>
#include <stop_token>

namespace brigade {

/// A counting semaphore: acquire takes one permit (waiting for one if none is left), release
/// gives permits back.
///
/// Fairness: threads barge. release() adds its permits to the count and wakes as many sleeping
/// threads, longest sleeper first, which then compete for them with threads arriving
/// meanwhile (a thread that loses sleeps again, at the back). Handing the permit to the sleeper
/// instead made every release-then-acquire by a running thread wait for a wake-up (a convoy:
/// bench/RESULTS.md). Coroutines waiting in `co_await acquire()` are handed a permit, first come
/// first served, by the release() that finds them queued (resuming costs no sleep). Uncontended,
/// try_acquire and release are one atomic read-modify-write each.
/// Thread safety: all members may be called concurrently.
/// Memory ordering: a release() happens-before the acquisition that takes a permit it gave. A
/// cancelled or timed-out wait took nothing and is ordered with nothing.
/// Blocking: blocking_acquire() and the timed variants put the calling thread to sleep; they are
/// for plain threads: on a pool worker, an event loop or in a simulation they throw
/// std::logic_error (use `co_await acquire()` there). A coroutine waiting in `co_await acquire()`
/// does not block its thread: it resumes on its resume context (the event loop or simulation it ran
/// on), else on the releasing pool worker's pool, else inline in release().
/// Cancellation: `co_await acquire()` honours the awaiting coroutine's stop token: a stop
/// request takes the waiter out of the queue and the coroutine resumes with
/// brigade::operation_cancelled (so `brigade::timeout` works on it). Whichever comes first under
/// the semaphore's lock wins: a waiter is either handed a permit or cancelled, never both, and a
/// permit is never lost. blocking_acquire(std::stop_token) returns false when a stop request
/// ended the wait (like the timed forms on a timeout). Only a wait is cancelled: a permit that is
/// free at the call, or when a woken thread looks again, is taken even if stop was requested.
class semaphore {
 public:
  /// A semaphore with `initial` permits. `name` (a string that outlives the semaphore, or null)
  /// labels its waits in a trace ("name (semaphore)") and in an "all chefs are asleep" report.
  /// Errors: std::invalid_argument if initial < 0.
  explicit semaphore(std::ptrdiff_t initial, const char* name = nullptr);
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;

  /// Takes a permit, sleeping until one is available.
  void blocking_acquire();
  /// Takes a permit, sleeping until one is available or `stop` is requested; false when stopped.
  [[nodiscard]] bool blocking_acquire(std::stop_token stop);
  /// Takes a permit if one is available now. Never blocks.
  bool try_acquire() noexcept;
  /// Takes a permit, waiting at most `d`; false on timeout.
  template <class Rep, class Period>
  bool try_acquire_for(std::chrono::duration<Rep, Period> d) {
    return acquire_until(std::chrono::steady_clock::now() +
                         std::chrono::ceil<std::chrono::steady_clock::duration>(d));
  }
  /// Takes a permit, waiting until `tp` at the latest; false on timeout.
  template <class Clock, class Duration>
  bool try_acquire_until(std::chrono::time_point<Clock, Duration> tp) {
    return acquire_until(std::chrono::steady_clock::now() +
                         std::chrono::ceil<std::chrono::steady_clock::duration>(tp - Clock::now()));
  }
  /// Gives back `n` permits. Errors: std::invalid_argument if n < 0.
  void release(std::ptrdiff_t n = 1);

  /// Permits available now (a snapshot).
  std::ptrdiff_t available() const noexcept;
  /// The name given at construction (null: none).
  const char* name() const noexcept { return name_; }

  class acquire_awaiter {
   public:
    explicit acquire_awaiter(semaphore& s) noexcept : s_(s) {}
    bool await_ready() noexcept { return s_.try_acquire(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
      w_.set_coroutine(h);
      cancel_.arm(detail::stop_token_of(h), w_, s_.waiters_, s_.mu_);
      return s_.enqueue(w_);
    }
    void await_resume() {
      w_.trace.end();
      cancel_.disarm();
      if (w_.cancelled) throw operation_cancelled("brigade::semaphore::acquire: cancelled");
    }

   private:
    semaphore& s_;
    detail::waiter w_;
    detail::queued_cancel cancel_;
  };
  /// `co_await sem.acquire()`: takes a permit; suspends the coroutine until one is available.
  [[nodiscard]] acquire_awaiter acquire() noexcept { return acquire_awaiter{*this}; }

 private:
  bool acquire_until(std::chrono::steady_clock::time_point deadline,
                     const std::stop_token* stop = nullptr);
  /// Takes a permit for w if one is free (false), else queues w (true); refuses to queue a
  /// waiter whose cancellation came first (false, w.cancelled). Takes mu_.
  bool enqueue(detail::waiter& w) noexcept;
  /// Takes a free permit, if any (the CAS loop of try_acquire). `first_load` orders the first
  /// read of count_: relaxed for try_acquire; seq_cst after publishing `queued_` (see enqueue),
  /// where it must see any permit whose release() did not see the waiter.
  bool take_permit(std::memory_order first_load) noexcept;

  // Permits available. Changed by CAS/fetch_add outside mu_ (the fast paths) and inside.
  detail::atomic<std::ptrdiff_t> count_;
  // Whether waiters_ may be non-empty: set under mu_ before a waiter looks at count_ one last
  // time and queues; cleared under mu_ by a release() that leaves the list empty. A stop
  // callback removing the last waiter leaves it set: the next release() takes mu_ once more.
  detail::atomic<bool> queued_{false};
  mutable std::mutex mu_;  // guards waiters_ and queued_'s writes
  detail::waiter_list waiters_;
  const char* name_;
};

}  // namespace brigade
