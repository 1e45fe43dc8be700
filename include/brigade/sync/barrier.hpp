// brigade::barrier — a reusable rendezvous point for a fixed number of threads.
#pragma once

#include <brigade/sync/detail/waiter.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stop_token>

namespace brigade {

/// A reusable barrier (like std::barrier): each phase completes when `expected` threads have
/// arrived; then the completion function runs once, on the last thread to arrive, and every
/// waiter of that phase is released.
///
/// Thread safety: all members may be called concurrently.
/// Memory ordering: everything a thread did before arriving happens-before the completion
/// function, which happens-before every return from arrive_and_wait() of that phase (a wait
/// ended by a timeout or a stop request is ordered with nothing).
/// Blocking: arrive_and_wait() puts the calling thread to sleep until the phase completes; it is
/// for plain threads: on a pool worker, an event loop or in a simulation it throws
/// std::logic_error (pool workers would wait for jobs queued behind them).
/// Errors: std::invalid_argument for a negative count; an exception from the completion
/// function is rethrown by the last arriver's call (the phase still completes).
/// Timeouts and cancellation: arrive_and_wait_for/_until and arrive_and_wait(std::stop_token)
/// return false when the time ran out or a stop request ended the wait. The arrival itself
/// stays counted (as with std::barrier, an arrival cannot be withdrawn): the phase completes
/// when the others arrive, without waiting for this thread again. A caller that gives up for
/// good should then arrive_and_drop() in later phases, or the barrier waits for it.
class barrier {
 public:
  /// A barrier for `expected` threads per phase. `name` (a string that outlives the barrier, or
  /// null) labels its waits in a trace ("name (barrier)") and in an "all chefs are asleep" report.
  explicit barrier(std::ptrdiff_t expected, std::function<void()> completion = {},
                   const char* name = nullptr);
  barrier(const barrier&) = delete;
  barrier& operator=(const barrier&) = delete;

  /// Arrives and sleeps until the phase completes. Returns the number of the completed phase.
  std::uint64_t arrive_and_wait();
  /// Arrives and sleeps until the phase completes (true) or `d` passed (false: the arrival
  /// still counts for this phase).
  template <class Rep, class Period>
  bool arrive_and_wait_for(std::chrono::duration<Rep, Period> d) {
    return arrive_and_wait_until(std::chrono::steady_clock::now() +
                                 std::chrono::ceil<std::chrono::steady_clock::duration>(d));
  }
  /// arrive_and_wait_for until `tp` at the latest.
  template <class Clock, class Duration>
  bool arrive_and_wait_until(std::chrono::time_point<Clock, Duration> tp) {
    return arrive_and_wait_impl(
        std::chrono::steady_clock::now() +
            std::chrono::ceil<std::chrono::steady_clock::duration>(tp - Clock::now()),
        nullptr);
  }
  /// Arrives and sleeps until the phase completes (true) or `stop` is requested (false: the
  /// arrival still counts for this phase).
  [[nodiscard]] bool arrive_and_wait(std::stop_token stop);
  /// Arrives and leaves: later phases expect one thread less.
  void arrive_and_drop();
  /// The name given at construction (null: none).
  const char* name() const noexcept { return name_; }

 private:
  void complete_phase(std::unique_lock<std::mutex>& lock);
  bool arrive_and_wait_impl(std::chrono::steady_clock::time_point deadline,
                            const std::stop_token* stop);

  std::mutex mu_;  // guards everything below
  std::ptrdiff_t expected_;
  std::ptrdiff_t arrived_ = 0;
  std::uint64_t phase_ = 0;
  std::function<void()> completion_;
  detail::waiter_list waiters_;
  const char* name_;
};

}  // namespace brigade
