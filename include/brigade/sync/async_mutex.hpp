// brigade::async_mutex — a lock coroutines wait for without blocking their thread.
//
//   auto g = co_await m.lock();   // suspends while another holder has it
//   ...                           // critical section, may itself co_await
//   // g's destructor unlocks (or g.unlock() earlier)
#pragma once

#include <brigade/sync/detail/waiter.hpp>

#include <coroutine>
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
/// lock() or try_lock() that succeeds).
/// Waking: the next holder resumes on its resume context (the event loop or simulation it
/// waited on); without one, on the unlocking pool worker's pool as a queued job; from any other
/// thread, inline inside unlock().
/// Checked mode: not in the lock-order graph (holders are coroutines, not threads).
/// Cancellation: a queued lock() is not cancellable.
class async_mutex {
 public:
  explicit async_mutex(const char* name = nullptr) noexcept : name_(name) {}
  async_mutex(const async_mutex&) = delete;
  async_mutex& operator=(const async_mutex&) = delete;

  /// Owns a locked async_mutex and unlocks it when destroyed. Movable.
  class [[nodiscard]] guard {
   public:
    explicit guard(async_mutex& m) noexcept : m_(&m) {}
    guard(guard&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
    guard& operator=(guard&& o) noexcept {
      if (this != &o) {
        unlock();
        m_ = std::exchange(o.m_, nullptr);
      }
      return *this;
    }
    ~guard() { unlock(); }
    /// Unlocks now (idempotent).
    void unlock() noexcept {
      if (m_ != nullptr) std::exchange(m_, nullptr)->unlock();
    }
    bool owns_lock() const noexcept { return m_ != nullptr; }

   private:
    async_mutex* m_;
  };

  class lock_awaiter {
   public:
    explicit lock_awaiter(async_mutex& m) noexcept : m_(m) {}
    bool await_ready() noexcept { return m_.try_lock(); }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
      w_.set_coroutine(h);
      return m_.enqueue(w_);
    }
    guard await_resume() noexcept { return guard{m_}; }

   private:
    async_mutex& m_;
    detail::waiter w_;
  };
  /// `co_await m.lock()`: acquires the lock, suspending while it is held; returns a guard.
  [[nodiscard]] lock_awaiter lock() noexcept { return lock_awaiter{*this}; }

  /// Acquires the lock if it is free now. Never blocks. Pair with unlock() or adopt it:
  /// `async_mutex::guard g(m);`.
  bool try_lock() noexcept;
  /// Releases the lock; hands it to the longest waiter, if any.
  void unlock() noexcept;

  const char* name() const noexcept { return name_; }

 private:
  bool enqueue(detail::waiter& w) noexcept;  // takes the lock (false) or queues w (true)

  const char* name_;
  std::mutex mu_;  // guards locked_ and waiters_
  bool locked_ = false;
  detail::waiter_list waiters_;
};

}  // namespace brigade
