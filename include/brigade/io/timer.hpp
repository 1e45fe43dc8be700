// Timers on the event loop: sleep_for, sleep_until, and yield.
//
// A sleeping coroutine costs one heap slot (8 bytes) besides its frame; a million pending
// timers stay cheap (O(log n) per timer, 4-ary heap).
#pragma once

#include <brigade/io/detail/op_awaiter.hpp>
#include <brigade/io/event_loop.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>

namespace brigade {
namespace detail {

class timer_awaiter : public op_awaiter {
 public:
  timer_awaiter(event_loop& loop, std::int64_t deadline_ns) noexcept : op_awaiter(loop) {
    op_.kind = io_kind::timer;
    op_.deadline_ns = deadline_ns;
  }
  void await_resume() { take_result(); }
};

event_loop& current_loop_or_throw(const char* what);

inline std::int64_t to_loop_clock(std::chrono::steady_clock::time_point tp) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
}

}  // namespace detail

/// `co_await sleep_until(tp)`: resumes on the current loop's thread at or after tp.
/// Cancellation: a stop request resumes it early with operation_cancelled.
/// Errors: std::logic_error when the caller is not running on an event loop.
inline detail::timer_awaiter sleep_until(std::chrono::steady_clock::time_point tp) {
  return detail::timer_awaiter(detail::current_loop_or_throw("sleep_until"),
                               detail::to_loop_clock(tp));
}

/// `co_await sleep_for(d)`: sleep_until(now + d). Negative durations do not wait (but still
/// yield to the loop).
template <class Rep, class Period>
detail::timer_awaiter sleep_for(std::chrono::duration<Rep, Period> d) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return detail::timer_awaiter(detail::current_loop_or_throw("sleep_for"),
                               event_loop::now_ns() + (ns > 0 ? ns : 0));
}

/// sleep_until on a given loop (from any thread; resumes on that loop's thread).
inline detail::timer_awaiter sleep_until(event_loop& loop,
                                         std::chrono::steady_clock::time_point tp) {
  return detail::timer_awaiter(loop, detail::to_loop_clock(tp));
}

/// sleep_for on a given loop.
template <class Rep, class Period>
detail::timer_awaiter sleep_for(event_loop& loop, std::chrono::duration<Rep, Period> d) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return detail::timer_awaiter(loop, event_loop::now_ns() + (ns > 0 ? ns : 0));
}

}  // namespace brigade
