// brigade::barrier — a reusable rendezvous point for a fixed number of threads.
#pragma once

#include <brigade/sync/detail/waiter.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>

namespace brigade {

/// A reusable barrier (like std::barrier): each phase completes when `expected` threads have
/// arrived; then the completion function runs once, on the last thread to arrive, and every
/// waiter of that phase is released.
///
/// Thread safety: all members may be called concurrently.
/// Memory ordering: everything a thread did before arriving happens-before the completion
/// function, which happens-before every return from arrive_and_wait() of that phase.
/// Blocking: arrive_and_wait() puts the calling thread to sleep until the phase completes; it is
/// for plain threads: on a pool worker, an event loop or in a simulation it throws
/// std::logic_error (pool workers would wait for jobs queued behind them).
/// Errors: std::invalid_argument for a negative count; an exception from the completion
/// function is rethrown by the last arriver's call (the phase still completes).
class barrier {
 public:
  explicit barrier(std::ptrdiff_t expected, std::function<void()> completion = {});
  barrier(const barrier&) = delete;
  barrier& operator=(const barrier&) = delete;

  /// Arrives and sleeps until the phase completes. Returns the number of the completed phase.
  std::uint64_t arrive_and_wait();
  /// Arrives and leaves: later phases expect one thread less.
  void arrive_and_drop();

 private:
  void complete_phase(std::unique_lock<std::mutex>& lock);

  std::mutex mu_;  // guards everything below
  std::ptrdiff_t expected_;
  std::ptrdiff_t arrived_ = 0;
  std::uint64_t phase_ = 0;
  std::function<void()> completion_;
  detail::waiter_list waiters_;
};

}  // namespace brigade
