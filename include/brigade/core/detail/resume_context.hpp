// The one scheduler seam: where a suspended coroutine continues, on which clock, and how it
// waits for a deadline. Lower layers (futures, the pool, sync waits, par's graphs) resume a
// coroutine "back home" through it without knowing what home is; timers and timeouts read the
// clock of the context they run on.
//
// Implemented by the event loop (post, its steady clock; its timers are I/O operations of
// their own, cancellable from any thread), by the simulator (post in a seeded order, virtual
// time, virtual timers) and by the tests' manual clock. A pool worker sets no context: work
// there resumes on the pool through its own queues, and has no timers.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>

namespace brigade::detail {

/// A coroutine waiting for a deadline on a context that keeps timers itself (resume_at).
struct timed_resume {
  std::coroutine_handle<> waiter;
  std::int64_t deadline_ns = 0;  ///< on the context's clock (now_ns())
  std::uint64_t ticket = 0;      ///< the context's own bookkeeping while it holds the timer
};

/// An executor that can resume a coroutine later, on its own thread. post (resume_later) is
/// thread-safe; a context with timers (has_timers()) runs on one thread, and its resume_at and
/// cancel_at are called on that thread.
class resume_context {
 public:
  /// post: resumes h on this context's thread later. `trace_after`: when tracing, the segment
  /// the resumed step follows (the work that made it ready), 0 for none.
  virtual void resume_later(std::coroutine_handle<> h, std::uint64_t trace_after = 0) noexcept = 0;

  /// now: this context's clock, in nanoseconds. The default is std::chrono::steady_clock's;
  /// the simulator's is virtual time, starting at 0.
  virtual std::int64_t now_ns() const noexcept;

  /// True when this context keeps timers itself (resume_at / cancel_at work).
  virtual bool has_timers() const noexcept { return false; }

  /// post_at: resumes t.waiter on this context once now_ns() >= t.deadline_ns, unless
  /// cancel_at(t) comes first. t stays alive until then. Only where has_timers().
  virtual void resume_at(timed_resume& t);

  /// Withdraws a timer set by resume_at: true when it had not fired (then this context will
  /// not resume t.waiter; the caller decides what happens to it).
  virtual bool cancel_at(timed_resume& t) noexcept;

  /// True when this context owns detached tasks (brigade::spawn works on it).
  virtual bool owns_detached() const noexcept { return false; }

  /// Takes a detached task (a suspended coroutine that reports back through detached_done):
  /// keeps it alive, starts it later, waits for it. Only where owns_detached().
  virtual void start_detached(std::coroutine_handle<> h);

  /// A detached task has ended (`error`: what escaped it, or null). The context destroys h.
  virtual void detached_done(std::coroutine_handle<> h, std::exception_ptr error) noexcept;

 protected:
  ~resume_context() = default;
};

/// The context of the calling thread (an event loop or a simulation sets it while it runs), or
/// nullptr.
resume_context* current_resume_context() noexcept;
/// Sets the calling thread's context; returns the previous one.
resume_context* set_current_resume_context(resume_context* c) noexcept;

/// The calling thread's clock: its context's, else std::chrono::steady_clock's, in ns.
std::int64_t context_now_ns() noexcept;

}  // namespace brigade::detail
