// Where a suspended coroutine wants to continue: the event loop it was running on, if any.
// Lets lower layers (futures, the pool) resume a coroutine "back home" without knowing about
// event loops.
#pragma once

#include <coroutine>
#include <cstdint>

namespace brigade::detail {

/// An executor that can resume a coroutine on its own thread later. Thread-safe.
class resume_context {
 public:
  /// Resumes h on this context's thread later. `trace_after`: when tracing, the segment the
  /// resumed step follows (the work that made it ready), 0 for none.
  virtual void resume_later(std::coroutine_handle<> h, std::uint64_t trace_after = 0) noexcept = 0;

 protected:
  ~resume_context() = default;
};

/// The context of the calling thread (an event loop sets it while it runs), or nullptr.
resume_context* current_resume_context() noexcept;
/// Sets the calling thread's context; returns the previous one.
resume_context* set_current_resume_context(resume_context* c) noexcept;

}  // namespace brigade::detail
