// Timers: sleep_for and sleep_until, on the clock of the context that runs the coroutine.
//
// On an event loop a sleep is one of the loop's I/O operations: a 136-byte awaiter in the frame
// (the timer_op and the stop registration) and a 16-byte slot in the loop's timing wheel, O(1) to
// start and cancel (from any thread), fired in batches per loop turn; a million pending timers stay
// cheap. Under brigade::sim::run the same call waits in virtual time, on the simulator's timers
// (brigade/core/detail/resume_context.hpp is the seam).
#pragma once

#include <brigade/core/context.hpp>
#include <brigade/core/detail/resume_context.hpp>
#include <brigade/core/errors.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/detail/op_awaiter.hpp>
#include <brigade/io/event_loop.hpp>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <optional>
#include <stop_token>
#include <utility>

namespace brigade {
namespace detail {

/// A timer on an event loop: an I/O operation that completes at its deadline.
class loop_timer : public basic_op_awaiter<timer_op> {
 public:
  loop_timer(event_loop& loop, std::int64_t deadline_ns) noexcept : basic_op_awaiter(loop) {
    op_.kind = io_kind::timer;
    op_.deadline_ns = deadline_ns;
  }
  void finish() { take_result(); }
};

/// A timer kept by a resume context with timers of its own (the simulator, the tests' manual
/// clock). A stop request resumes it early with operation_cancelled.
class context_timer {
 public:
  /// The first byte of every context_timer (timer_awaiter tells the two kinds apart by it): a
  /// value no io_kind has.
  static constexpr std::uint8_t marker = 0xff;

  context_timer(resume_context& ctx, std::int64_t deadline_ns) noexcept : ctx_(&ctx) {
    node_.deadline_ns = deadline_ns;
  }
  context_timer(const context_timer&) = delete;
  context_timer& operator=(const context_timer&) = delete;

  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    std::stop_token token = stop_token_of(h);
    if (token.stop_requested()) {
      cancelled_ = true;
      return false;
    }
    node_.waiter = h;
    ctx_->resume_at(node_);
    // The context runs on this thread and resumes nothing before we return: registering after
    // resume_at cannot miss the timer firing. A stop requested from another thread while we
    // register is the context's to refuse (the simulator aborts on foreign threads).
    if (token.stop_possible()) stop_.emplace(std::move(token), canceller{this});
    return true;
  }

  void finish() {
    stop_.reset();
    if (cancelled_) throw operation_cancelled();
  }

 private:
  struct canceller {
    context_timer* self;
    void operator()() const noexcept {
      if (!self->ctx_->cancel_at(self->node_)) return;  // fired already: resumes normally
      self->cancelled_ = true;
      self->ctx_->resume_later(self->node_.waiter);
    }
  };

  // First, and read only as the awaiter's first byte (see `marker`).
  [[maybe_unused]] std::uint8_t marker_ = marker;
  resume_context* ctx_;
  timed_resume node_;
  std::optional<std::stop_callback<canceller>> stop_;
  bool cancelled_ = false;
};

/// `co_await` for sleep_for/sleep_until: a loop_timer on an event loop, else a context_timer
/// (the simulator). A stop request resumes it early with operation_cancelled. Not movable:
/// created and awaited in place. One of the two lives in the awaiting frame, never both (a
/// sleeping coroutine's frame holds this awaiter, so its size is the size of a sleep).
class timer_awaiter {
 public:
  timer_awaiter(event_loop& loop, std::int64_t deadline_ns) noexcept {
    ::new (static_cast<void*>(storage_)) loop_timer(loop, deadline_ns);
    assert(on_loop());
  }
  timer_awaiter(resume_context& ctx, std::int64_t deadline_ns) noexcept {
    ::new (static_cast<void*>(storage_)) context_timer(ctx, deadline_ns);
    assert(!on_loop());
  }
  timer_awaiter(const timer_awaiter&) = delete;
  timer_awaiter& operator=(const timer_awaiter&) = delete;
  ~timer_awaiter() {
    if (on_loop()) {
      as_loop()->~loop_timer();
    } else {
      as_context()->~context_timer();
    }
  }

  bool await_ready() const noexcept { return false; }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (on_loop()) return as_loop()->await_suspend(h);
    return as_context()->await_suspend(h);
  }

  void await_resume() {
    if (on_loop()) return as_loop()->finish();
    as_context()->finish();
  }

 private:
  // Which of the two lives here, without a variant's index (8 bytes more in every sleeping
  // frame): the first byte of a loop_timer is its op's kind (io_kind::timer; `io_op` starts with
  // it, and the op starts op_awaiter), that of a context_timer is context_timer::marker. Reading
  // an object's bytes through unsigned char is allowed whatever its type.
  bool on_loop() const noexcept {
    return storage_[0] == static_cast<unsigned char>(io_kind::timer);
  }
  loop_timer* as_loop() noexcept { return std::launder(reinterpret_cast<loop_timer*>(storage_)); }
  context_timer* as_context() noexcept {
    return std::launder(reinterpret_cast<context_timer*>(storage_));
  }

  static_assert(static_cast<std::uint8_t>(io_kind::timer) != context_timer::marker);
  alignas(loop_timer) alignas(
      context_timer) unsigned char storage_[std::max(sizeof(loop_timer), sizeof(context_timer))];
};

inline std::int64_t to_loop_clock(std::chrono::steady_clock::time_point tp) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
}

template <class Rep, class Period>
std::int64_t after_ns(std::int64_t now, std::chrono::duration<Rep, Period> d) noexcept {
  using limits = std::numeric_limits<std::int64_t>;
  if (!(d > d.zero())) return now;  // negative, zero (and NaN) durations do not wait
  // Compared in long double first: a duration past what int64 nanoseconds hold (hours::max(),
  // "forever") would overflow the conversion and the sum; it saturates to never instead.
  if (std::chrono::duration<long double, std::nano>(d).count() >=
      static_cast<long double>(limits::max() - now))
    return limits::max();
  return now + std::chrono::ceil<std::chrono::nanoseconds>(d).count();
}

event_loop& current_loop_or_throw(const char* what);

/// The awaiter for a deadline on the calling thread's context. std::logic_error naming `what`
/// when that context has no timers (a pool worker or a plain thread).
timer_awaiter timer_on_current_context(std::int64_t deadline_ns, const char* what);

}  // namespace detail

/// `co_await sleep_until(tp)`: resumes at or after tp on the current context's clock
/// (brigade::now()): on the current event loop's thread, or in virtual time under sim.
/// Cancellation: a stop request resumes it early with operation_cancelled.
/// Errors: std::logic_error when the caller runs neither on an event loop nor in a simulation.
inline detail::timer_awaiter sleep_until(std::chrono::steady_clock::time_point tp) {
  return detail::timer_on_current_context(detail::to_loop_clock(tp), "sleep_until");
}

/// `co_await sleep_for(d)`: sleep_until(brigade::now() + d). Negative durations do not wait
/// (but still let the others run first).
template <class Rep, class Period>
detail::timer_awaiter sleep_for(std::chrono::duration<Rep, Period> d) {
  return detail::timer_on_current_context(detail::after_ns(detail::context_now_ns(), d),
                                          "sleep_for");
}

/// sleep_until on a given loop (from any thread; resumes on that loop's thread).
inline detail::timer_awaiter sleep_until(event_loop& loop,
                                         std::chrono::steady_clock::time_point tp) {
  return detail::timer_awaiter(loop, detail::to_loop_clock(tp));
}

/// sleep_for on a given loop.
template <class Rep, class Period>
detail::timer_awaiter sleep_for(event_loop& loop, std::chrono::duration<Rep, Period> d) {
  return detail::timer_awaiter(loop, detail::after_ns(event_loop::now_ns(), d));
}

}  // namespace brigade
