// brigade::scope's out-of-line parts: failure bookkeeping and the destructor's check.
#include <brigade/core/scope.hpp>

#include <cstdio>
#include <cstdlib>

namespace brigade {

void scope::child_failed(std::exception_ptr e) noexcept {
  // After a stop request, operation_cancelled is the expected way for a child to end.
  if (stop_.stop_requested()) {
    try {
      std::rethrow_exception(e);
    } catch (const operation_cancelled&) {
      return;
    } catch (...) {
    }
  }
  {
    std::lock_guard lock(mu_);
    if (!error_) error_ = std::move(e);
  }
  stop_.request_stop();
}

scope::~scope() {
  // count_ holds the children plus one for the scope itself, which a join in progress has
  // already given up.
  const std::size_t count = count_.load(detail::memory_order_acquire);
  const std::size_t running = joiner_ ? count : count - 1;
  if (running != 0 || joiner_) {
    std::fprintf(stderr,
                 "brigade::scope destroyed with %zu child task(s) still running: "
                 "co_await scope.join() before the scope ends\n",
                 running);
    std::abort();
  }
}

}  // namespace brigade
