// brigade::shared_mutex — a readers-writer lock: many readers or one writer.
#pragma once

#include <brigade/sync/detail/lock_check.hpp>
#include <brigade/sync/detail/waiter.hpp>

#include <brigade/sync/detail/source_site.hpp>
#include <chrono>
#include <mutex>
#include <stop_token>

namespace brigade {

/// A readers-writer lock. Satisfies SharedLockable (std::shared_lock works).
///
/// Fairness: writers are preferred: once a writer waits, new readers queue behind it, so a
/// stream of readers cannot starve writers. A release that frees the lock wakes the next
/// writer, else all queued readers, and they compete for it with threads arriving meanwhile
/// (no hand-off: handing a contended lock to a sleeping thread convoys, see src/sync/README.md).
/// Thread safety: all members may be called concurrently; unlocks only by holders.
/// Memory ordering: unlock() happens-before every later acquisition; unlock_shared()
/// happens-before the next lock().
/// Blocking: lock() and lock_shared() sleep while they must wait (as brigade::mutex). Checked mode:
/// both take part in the lock-order graph; only exclusive holders are followed by the wait-for
/// check.
/// Cancellation: lock(std::stop_token) and lock_shared(std::stop_token) return false (not
/// acquired) when a stop request ended their wait, as the timed forms do on a timeout.
class shared_mutex {
 public:
  explicit shared_mutex(const char* name = nullptr) noexcept : name_(name) {}
  shared_mutex(const shared_mutex&) = delete;
  shared_mutex& operator=(const shared_mutex&) = delete;
  ~shared_mutex() { detail::lock_check::forget_if_used(this); }

  void lock(detail::source_site where = detail::source_site::current());
  bool try_lock(detail::source_site where = detail::source_site::current()) noexcept;
  void unlock() noexcept;

  void lock_shared(detail::source_site where = detail::source_site::current());
  bool try_lock_shared(detail::source_site where = detail::source_site::current()) noexcept;
  void unlock_shared() noexcept;

  /// lock() until acquired (true) or `stop` is requested (false).
  [[nodiscard]] bool lock(std::stop_token stop,
                          detail::source_site where = detail::source_site::current()) {
    return acquire(true, where, std::chrono::steady_clock::time_point::max(), &stop);
  }
  /// lock_shared() until acquired (true) or `stop` is requested (false).
  [[nodiscard]] bool lock_shared(std::stop_token stop,
                                 detail::source_site where = detail::source_site::current()) {
    return acquire(false, where, std::chrono::steady_clock::time_point::max(), &stop);
  }

  /// lock() waiting at most `d`; false on timeout.
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d,
                    detail::source_site where = detail::source_site::current()) {
    return acquire(true, where, deadline_after(d));
  }
  /// lock_shared() waiting at most `d`; false on timeout.
  template <class Rep, class Period>
  bool try_lock_shared_for(std::chrono::duration<Rep, Period> d,
                           detail::source_site where = detail::source_site::current()) {
    return acquire(false, where, deadline_after(d));
  }

  const char* name() const noexcept { return name_; }

 private:
  template <class Rep, class Period>
  static std::chrono::steady_clock::time_point deadline_after(
      std::chrono::duration<Rep, Period> d) {
    return std::chrono::steady_clock::now() +
           std::chrono::ceil<std::chrono::steady_clock::duration>(d);
  }
  /// Takes the lock, waiting until `deadline` (forever when it is time_point::max()).
  /// Or until a stop request on *stop (none when null).
  bool acquire(
      bool exclusive, const detail::source_site& where,
      std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max(),
      const std::stop_token* stop = nullptr);
  bool can_take(bool exclusive) const noexcept {
    return !writer_ &&
           (exclusive ? readers_ == 0 : writers_waiting_.empty() && writers_woken_ == 0);
  }
  void release_locked(detail::waiter*& wake) noexcept;
  /// `dequeued`: a stop callback already took w off its queue (it was not woken).
  void give_up(detail::waiter& w, bool exclusive, bool dequeued = false);

  const char* name_;
  std::mutex mu_;  // guards everything below
  unsigned long readers_ = 0;
  bool writer_ = false;
  unsigned long writers_woken_ = 0;  // writers woken to compete, not back yet: readers wait
  detail::waiter_list writers_waiting_;
  detail::waiter_list readers_waiting_;
};

}  // namespace brigade
