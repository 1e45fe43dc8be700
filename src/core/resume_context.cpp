// The calling thread's resume context.
#include <brigade/core/detail/resume_context.hpp>

#include <utility>

namespace brigade::detail {
namespace {
constinit thread_local resume_context* tls_context = nullptr;
}

resume_context* current_resume_context() noexcept {
  return tls_context;
}

resume_context* set_current_resume_context(resume_context* c) noexcept {
  return std::exchange(tls_context, c);
}

}  // namespace brigade::detail
