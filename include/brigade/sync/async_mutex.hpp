// brigade::async_mutex — a lock coroutines wait for without blocking their thread.
//
//   auto g = co_await m.lock();   // suspends while another holder has it
//   ...                           // critical section, may itself co_await
//   // g's destructor unlocks (or g.unlock() earlier)
#pragma once

#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/core/errors.hpp>
#include <brigade/core/task.hpp>
#include <brigade/sync/detail/lock_check.hpp>
#include <brigade/sync/detail/source_site.hpp>
#include <brigade/sync/detail/waiter.hpp>

#include <coroutine>
#include <cstdint>
#include <mutex>
#include <utility>

namespace brigade {

/// A mutual-exclusion lock for coroutines: a coroutine that must wait is suspended and queued;
/// the thread goes on running other work. Holding it across co_await is fine (that is what it
/// is for), and the holder may unlock on another thread than it locked on.
///
/// Fairness: FIFO; unlock() hands the lock directly to the longest waiter.
/// Thread safety: all members may be called concurrently; unlock() only by the holder.
/// Memory ordering: unlock() happens-before the acquisition it hands over to (or the next
/// lock() or try_lock() that succeeds). A cancelled lock() is ordered with nothing.
/// Tracing: a lock() that suspends is recorded as a wait for the lock (named after the mutex)
/// from the suspension to the resumption, on the thread where it began; `brigade trace` counts
/// it among the lock waits (the thread may run other coroutines meanwhile).
/// Waking: the next holder resumes on its resume context (the event loop or simulation it
/// waited on); without one, on the unlocking pool worker's pool as a queued job; from any other
/// thread, inline inside unlock().
/// Checked mode (check.hpp): `co_await lock()` takes part in the lock-order graph. The holder
/// is the coroutine that awaited lock() (its frame), not the thread: a coroutine that takes B
/// while holding A adds the edge A -> B, and the acquisition that closes a cycle is reported as
/// a potential deadlock (with check_action::throw_error, lock() throws brigade::deadlock_error
/// and does not take the lock). What is not tracked: try_lock() (no coroutine is known), the
/// locks a coroutine's caller or callee task holds (each task frame has its own held set), and
/// brigade::mutex locks held by the thread. No wait-for (real deadlock) check: a waiting
/// coroutine blocks no thread.
/// Cancellation: `co_await lock()` honours the awaiting coroutine's stop token: a stop request
/// takes the waiter out of the queue and the coroutine resumes with brigade::operation_cancelled
/// without the lock (so `brigade::timeout(d, ...)` bounds a lock wait). unlock() hands over and a
/// stop request cancels under the same internal lock, so a waiter either gets the lock or is
/// cancelled, never both, and a lock is never handed to a waiter that already left. A lock()
/// that finds the mutex free takes it even if stop was requested (only waits are cancelled).
class async_mutex {
 public:
  explicit async_mutex(const char* name = nullptr) noexcept : name_(name) {}
  ~async_mutex() { detail::lock_check::forget_if_used(this); }
  async_mutex(const async_mutex&) = delete;
  async_mutex& operator=(const async_mutex&) = delete;

  /// Owns a locked async_mutex and unlocks it when destroyed. Movable.
  class [[nodiscard]] guard {
   public:
    explicit guard(async_mutex& m) noexcept : m_(&m) {}
    /// `owner`: the coroutine frame checked mode recorded as the holder (or null).
    guard(async_mutex& m, const void* owner) noexcept : m_(&m), owner_(owner) {}
    guard(guard&& o) noexcept
        : m_(std::exchange(o.m_, nullptr)), owner_(std::exchange(o.owner_, nullptr)) {}
    guard& operator=(guard&& o) noexcept {
      if (this != &o) {
        unlock();
        m_ = std::exchange(o.m_, nullptr);
        owner_ = std::exchange(o.owner_, nullptr);
      }
      return *this;
    }
    ~guard() { unlock(); }
    /// Unlocks now (idempotent).
    void unlock() noexcept {
      if (m_ == nullptr) return;
      if (owner_ != nullptr) [[unlikely]]
        detail::lock_check::on_unlock_as(std::exchange(owner_, nullptr), m_);
      std::exchange(m_, nullptr)->unlock();
    }
    bool owns_lock() const noexcept { return m_ != nullptr; }

   private:
    async_mutex* m_;
    const void* owner_ = nullptr;
  };

  class lock_awaiter {
   public:
    lock_awaiter(async_mutex& m, const detail::source_site& where) noexcept
        : m_(m), where_(where) {}
    bool await_ready() noexcept {
      // Checked mode needs the coroutine (await_suspend's handle) even for a free lock.
      if (detail::lock_check::on()) [[unlikely]]
        return false;
      return m_.try_lock();
    }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
      if (detail::lock_check::on()) [[unlikely]] {
        owner_ = h.address();
        detail::lock_check::before_lock_as(owner_, &m_, m_.name_, where_);  // may throw
      }
      w_.set_coroutine(h);
      cancel_.arm(detail::stop_token_of(h), w_, m_.waiters_, m_.mu_);
      // Begun before queueing: once queued, the coroutine may resume on another thread at once.
      if (detail::tracing::on()) [[unlikely]]
        trace_wait_ = m_.trace_wait_begin();
      const bool queued = m_.enqueue(w_);
      if (!queued && trace_wait_ != 0) [[unlikely]]
        detail::tracing::record(detail::tracing::kind::coro_lock_wait_end,
                                std::exchange(trace_wait_, 0), 0, nullptr);
      return queued;
    }
    guard await_resume() {
      if (trace_wait_ != 0) [[unlikely]]
        detail::tracing::record(detail::tracing::kind::coro_lock_wait_end, trace_wait_, 0, nullptr);
      cancel_.disarm();
      if (w_.cancelled) throw operation_cancelled("brigade::async_mutex::lock: cancelled");
      if (owner_ != nullptr) [[unlikely]]
        detail::lock_check::after_lock_as(owner_, &m_, m_.name_, where_);
      return guard{m_, owner_};
    }

   private:
    async_mutex& m_;
    detail::source_site where_;
    const void* owner_ = nullptr;   // the holder checked mode records (the awaiting frame)
    std::uint64_t trace_wait_ = 0;  // tracing: the wait's id while suspended (0: not traced)
    detail::waiter w_;
    detail::queued_cancel cancel_;
  };
  /// `co_await m.lock()`: acquires the lock, suspending while it is held; returns a guard.
  /// `where` names the acquisition in checked mode's reports.
  [[nodiscard]] lock_awaiter lock(
      detail::source_site where = detail::source_site::current()) noexcept {
    return lock_awaiter{*this, where};
  }

  /// Acquires the lock if it is free now. Never blocks. Pair with unlock() or adopt it:
  /// `async_mutex::guard g(m);`.
  bool try_lock() noexcept;
  /// Releases the lock; hands it to the longest waiter, if any.
  void unlock() noexcept;

  const char* name() const noexcept { return name_; }

 private:
  // Takes the lock (false), refuses w if its cancellation came first (false, w.cancelled), or
  // queues w (true).
  bool enqueue(detail::waiter& w) noexcept;
  // Tracing: records the start of a coroutine's wait for this lock; returns the wait's id.
  std::uint64_t trace_wait_begin() const noexcept;

  const char* name_;
  std::mutex mu_;  // guards locked_ and waiters_
  bool locked_ = false;
  detail::waiter_list waiters_;
};

}  // namespace brigade
