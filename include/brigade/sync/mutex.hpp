// brigade::mutex — a mutual-exclusion lock for threads, with deadlock checking and lock-wait
// tracing, that never takes a pool worker away from its pool.
//
// Use brigade::mutex where a std::mutex would do; timed_mutex (timed_mutex.hpp) adds timeouts,
// shared_mutex readers, async_mutex (async_mutex.hpp) lets coroutines wait without blocking
// their thread. `auto g = m.guard();` records the caller's source line for checked mode
// (std::lock_guard works too, but its sites point into <mutex>).
#pragma once

#include <brigade/core/detail/atomic.hpp>
#include <brigade/sync/detail/lock_check.hpp>
#include <brigade/sync/detail/waiter.hpp>

#include <brigade/sync/detail/source_site.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stop_token>

namespace brigade {
namespace detail {
/// A per-thread address that identifies the calling thread as a lock owner.
inline const void* thread_tag() noexcept {
  static thread_local char tag;
  return &tag;
}
}  // namespace detail

/// A non-recursive mutual-exclusion lock. Satisfies Lockable (works with std::lock_guard,
/// std::unique_lock, std::scoped_lock).
///
/// Fairness: uncontended it is one CAS to lock and one to unlock; once threads sleep on it,
/// unlock frees the lock and wakes the longest sleeper, which competes with threads arriving
/// meanwhile (barging, as std::mutex: a hand-off would make every contended unlock-then-lock
/// wait for a wake-up). Starvation is possible in theory, not in practice.
/// Thread safety: all members may be called concurrently; unlock() only by the owner.
/// Memory ordering: unlock() happens-before the lock()/try_lock() that next acquires it.
/// Blocking: lock() sleeps until the lock is free — on a pool worker too: a critical section is
/// short and its holder is running (do not hold a brigade mutex while waiting for pool work).
/// Locking a mutex the caller already holds throws std::system_error
/// (resource_deadlock_would_occur) instead of hanging.
/// Checked mode (check.hpp): acquisitions update the lock-order graph; a blocked lock() whose
/// owner waits (transitively) for this thread is reported. Tracing: contended waits are
/// recorded as lock_wait_begin/lock_wait_end events labelled with the name.
/// Cancellation: lock(std::stop_token) returns false (not acquired) when a stop request ended
/// its wait, as try_lock_for does on a timeout; a free lock is taken even if stop was requested.
class mutex {
 public:
  /// `name` (a string literal, or any string that outlives the mutex) names it in deadlock
  /// reports and traces.
  explicit mutex(const char* name = nullptr) noexcept : name_(name) {}
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;
  ~mutex() { detail::lock_check::forget_if_used(this); }

  /// Acquires the lock, waiting as long as it takes. Errors: std::system_error when the caller
  /// already holds it; brigade::deadlock_error in checked mode with check_action::throw_error.
  void lock(detail::source_site where = detail::source_site::current()) {
    // Checked mode off, this is one flag test, one CAS and the owner tag: the site is passed on
    // as three scalars only on the cold checked path, so it is not built on the stack (a
    // source_site passed by reference was, on every call: 3 stores; bench/RESULTS.md).
    if (detail::lock_check::on()) [[unlikely]]
      return lock_checked(where.file_name(), where.line(), where.function_name());
    if (!try_acquire()) [[unlikely]]
      lock_slow(false, nullptr);
    owner_.store(detail::thread_tag(), detail::memory_order_relaxed);
  }

  /// Acquires the lock, waiting until it is free (true) or `stop` is requested (false: not
  /// acquired). Errors: as lock().
  [[nodiscard]] bool lock(std::stop_token stop,
                          detail::source_site where = detail::source_site::current()) {
    const bool checked = detail::lock_check::on();
    if (checked) [[unlikely]]
      detail::lock_check::before_lock(this, name_, where);
    if (!try_acquire() && !lock_slow(checked, nullptr, &stop)) return false;
    acquired(checked, where);
    return true;
  }

  /// Acquires the lock if it is free now. Never blocks.
  bool try_lock(detail::source_site where = detail::source_site::current()) noexcept {
    if (!try_acquire()) return false;
    owner_.store(detail::thread_tag(), detail::memory_order_relaxed);
    if (detail::lock_check::on()) [[unlikely]]
      after_lock_checked(where.file_name(), where.line(), where.function_name());
    return true;
  }

  /// Releases the lock (the caller must hold it); wakes the longest waiter, if any.
  void unlock() noexcept {
    owner_.store(nullptr, detail::memory_order_relaxed);
    if (detail::lock_check::on()) [[unlikely]]
      detail::lock_check::on_unlock(this);
    std::uint32_t one = 1;
    // Release pairs with try_acquire()'s acquire CAS.
    if (!state_.compare_exchange_strong(one, 0, detail::memory_order_release,
                                        detail::memory_order_relaxed)) [[unlikely]]
      unlock_slow();
  }

  /// A scoped guard that records the caller's line for checked mode: `auto g = m.guard();`.
  [[nodiscard]] std::unique_lock<mutex> guard(
      detail::source_site where = detail::source_site::current()) {
    lock(where);
    return std::unique_lock<mutex>(*this, std::adopt_lock);
  }

  /// The name given at construction (may be null).
  const char* name() const noexcept { return name_; }

 protected:
  /// Bookkeeping once the lock is ours: the owner tag (read by the owner only, to catch
  /// recursion) and checked mode.
  void acquired(bool checked, const detail::source_site& where) noexcept {
    owner_.store(detail::thread_tag(), detail::memory_order_relaxed);
    if (checked) [[unlikely]]
      detail::lock_check::after_lock(this, name_, where);
  }
  bool try_acquire() noexcept {
    std::uint32_t zero = 0;
    // Acquire pairs with unlock()'s release CAS (and unlock_slow()'s release under mu_).
    return state_.compare_exchange_strong(zero, 1, detail::memory_order_acquire,
                                          detail::memory_order_relaxed);
  }
  /// lock() in checked mode (out of line: the fast path stays small).
  void lock_checked(const char* file, unsigned line, const char* function);
  /// try_lock()'s checked-mode bookkeeping once the lock is ours.
  void after_lock_checked(const char* file, unsigned line, const char* function) noexcept;
  /// Waits for the lock until *deadline (forever when null) or a stop request on *stop (none
  /// when null); true when acquired.
  bool lock_slow(bool checked, const std::chrono::steady_clock::time_point* deadline,
                 const std::stop_token* stop = nullptr);

 private:
  void unlock_slow() noexcept;
  void wake_next() noexcept;
  /// A sleeper giving up (timeout, checked-mode error): leaves the queue, or, if it was woken
  /// already, passes the wake-up on.
  void leave_queue(detail::waiter& w, detail::parker& p) noexcept;

  // 0 free; 1 locked, nobody queued; 2 locked, waiters may be queued (unlock takes mu_).
  detail::atomic<std::uint32_t> state_{0};
  detail::atomic<const void*> owner_{nullptr};  // thread_tag() of the holder, for self-checks
  const char* name_;
  std::mutex mu_;  // guards waiters_ and transitions to and from state 2
  detail::waiter_list waiters_;
};

}  // namespace brigade
