// The calling thread's resume context, and the seam's defaults.
#include <brigade/core/detail/resume_context.hpp>

#include <chrono>
#include <stdexcept>
#include <utility>

namespace brigade::detail {
namespace {
constinit thread_local resume_context* tls_context = nullptr;

std::int64_t steady_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::int64_t resume_context::now_ns() const noexcept {
  return steady_now_ns();
}

void resume_context::resume_at(timed_resume&) {
  throw std::logic_error("brigade: this executor keeps no timers (resume_at)");
}

bool resume_context::cancel_at(timed_resume&) noexcept {
  return false;
}

void resume_context::start_detached(std::coroutine_handle<>) {
  throw std::logic_error("brigade: this executor keeps no detached tasks (start_detached)");
}

void resume_context::detached_done(std::coroutine_handle<> h, std::exception_ptr) noexcept {
  h.destroy();
}

resume_context* current_resume_context() noexcept {
  return tls_context;
}

resume_context* set_current_resume_context(resume_context* c) noexcept {
  return std::exchange(tls_context, c);
}

std::int64_t context_now_ns() noexcept {
  return tls_context != nullptr ? tls_context->now_ns() : steady_now_ns();
}

}  // namespace brigade::detail
