// Where a suspended coroutine wants to continue: the event loop it was running on, if any.
// Lets lower layers (futures, the pool) resume a coroutine "back home" without knowing about
// event loops.
#pragma once

#include <coroutine>

namespace brigade::detail {

/// An executor that can resume a coroutine on its own thread later. Thread-safe.
class resume_context {
 public:
  virtual void resume_later(std::coroutine_handle<> h) noexcept = 0;

 protected:
  ~resume_context() = default;
};

/// The context of the calling thread (an event loop sets it while it runs), or nullptr.
resume_context* current_resume_context() noexcept;
/// Sets the calling thread's context; returns the previous one.
resume_context* set_current_resume_context(resume_context* c) noexcept;

}  // namespace brigade::detail
