// The clock and the turn of whatever runs the calling coroutine: an event loop, the simulator,
// or a plain thread.
//
//   auto start = brigade::now();        // virtual time under brigade::sim::run
//   co_await brigade::yield();          // let the others run (the seed picks, under sim)
//
// sleep_for, sleep_until and timeout (brigade/io/timer.hpp, timeout.hpp) use the same clock,
// so code written for the event loop runs unchanged under the simulator, in virtual time.
#pragma once

#include <brigade/core/detail/resume_context.hpp>

#include <chrono>
#include <coroutine>

namespace brigade {

/// The current context's clock: std::chrono::steady_clock on an event loop, a pool worker or
/// a plain thread; virtual time (0 when the simulation starts) under brigade::sim::run. Only
/// differences of two now()s from the same context mean something.
inline std::chrono::steady_clock::time_point now() noexcept {
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::nanoseconds(detail::context_now_ns())));
}

/// `co_await brigade::yield()`: lets the other ready coroutines of this event loop or
/// simulation run first (under sim the seed chooses who runs next, maybe the caller again).
/// Elsewhere (a pool worker, a plain thread) it does not suspend.
inline auto yield() noexcept {
  struct awaiter {
    detail::resume_context* ctx = detail::current_resume_context();
    bool await_ready() const noexcept { return ctx == nullptr; }
    void await_suspend(std::coroutine_handle<> h) const noexcept { ctx->resume_later(h); }
    void await_resume() const noexcept {}
  };
  return awaiter{};
}

}  // namespace brigade
