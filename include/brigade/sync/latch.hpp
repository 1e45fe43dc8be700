// brigade::latch — a single-use countdown that threads and coroutines wait on.
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

/// A counter that opens for good when it reaches zero (like std::latch).
///
/// Costs: count_down() is one CAS (plus the wake-ups, once, at zero); try_wait() and a wait on
/// an open latch one load.
/// Thread safety: all members may be called concurrently.
/// Memory ordering: every count_down() happens-before any wait that returns because of it (a
/// wait ended by a stop request or a timeout is ordered with nothing).
/// Blocking: wait(), wait_for() and arrive_and_wait() put the calling thread to sleep until the
/// count is zero; they are for plain threads: on a pool worker, an event loop or in a
/// simulation they throw std::logic_error. There `co_await latch` suspends the coroutine
/// instead (it resumes on its resume context, else on the counting-down worker's pool, else
/// inline).
/// Cancellation: `co_await latch` honours the awaiting coroutine's stop token: a stop request
/// takes the waiter out of the queue and it resumes with brigade::operation_cancelled (unless the
/// latch opened first: then it resumes normally). wait(std::stop_token) returns false when a stop
/// request ended the wait, like wait_for on a timeout; an open latch returns true at once.
/// Errors: std::invalid_argument for a negative count or counting down past zero.
class latch {
 public:
  /// A latch that opens after `count` count-downs. `name` (a string that outlives the latch, or
  /// null) labels its waits in a trace ("name (latch)") and in an "all chefs are asleep" report.
  explicit latch(std::ptrdiff_t count, const char* name = nullptr);
  latch(const latch&) = delete;
  latch& operator=(const latch&) = delete;

  /// Decrements the count by n; at zero wakes every waiter.
  void count_down(std::ptrdiff_t n = 1);
  /// True when the count is zero. Never blocks.
  bool try_wait() const noexcept;
  /// Sleeps until the count is zero.
  void wait() const;
  /// Sleeps until the count is zero (true) or `stop` is requested (false).
  [[nodiscard]] bool wait(std::stop_token stop) const;
  /// Sleeps until the count is zero or `d` passed; true when zero.
  template <class Rep, class Period>
  bool wait_for(std::chrono::duration<Rep, Period> d) const {
    return wait_until(std::chrono::steady_clock::now() +
                      std::chrono::ceil<std::chrono::steady_clock::duration>(d));
  }
  bool wait_until(std::chrono::steady_clock::time_point deadline) const;
  /// count_down(n), then wait().
  void arrive_and_wait(std::ptrdiff_t n = 1);
  /// The name given at construction (null: none).
  const char* name() const noexcept { return name_; }

  class awaiter {
   public:
    explicit awaiter(const latch& l) noexcept : l_(l) {}
    bool await_ready() const noexcept { return l_.try_wait(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
      w_.set_coroutine(h);
      cancel_.arm(detail::stop_token_of(h), w_, l_.waiters_, l_.mu_);
      return l_.enqueue(w_);
    }
    void await_resume() {
      w_.trace.end();
      cancel_.disarm();
      if (w_.cancelled) throw operation_cancelled("brigade::latch: wait cancelled");
    }

   private:
    const latch& l_;
    detail::waiter w_;
    detail::queued_cancel cancel_;
  };
  /// `co_await l`: resumes when the count is zero.
  awaiter operator co_await() const noexcept { return awaiter{*this}; }

 private:
  bool enqueue(detail::waiter& w) const noexcept;  // false when open (or w's cancel came first)
  bool spin_until_open() const noexcept;           // a short bounded spin on try_wait()
  bool wait_impl(std::chrono::steady_clock::time_point deadline, const std::stop_token* stop,
                 const char* what) const;

  // The count. Changed by CAS only (never below zero); read without mu_ by try_wait and the
  // fast paths. The count_down that reaches zero then takes mu_ to wake the waiters, and a
  // waiter reads the count under mu_ before it queues, so none is queued after that wake.
  detail::atomic<std::ptrdiff_t> count_;
  mutable std::mutex mu_;  // guards waiters_
  mutable detail::waiter_list waiters_;
  const char* name_;
};

}  // namespace brigade
