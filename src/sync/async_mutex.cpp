// brigade::async_mutex: a flag and a FIFO of suspended coroutines; unlock hands over.
#include <brigade/sync/async_mutex.hpp>

namespace brigade {

bool async_mutex::try_lock() noexcept {
  std::lock_guard lock(mu_);
  if (locked_) return false;
  locked_ = true;
  return true;
}

bool async_mutex::enqueue(detail::waiter& w) noexcept {
  std::lock_guard lock(mu_);
  if (!locked_) {
    locked_ = true;
    return false;
  }
  if (w.cancel_requested) {
    w.cancelled = true;
    return false;
  }
  waiters_.push_back(w);
  return true;
}

std::uint64_t async_mutex::trace_wait_begin() const noexcept {
  const std::uint64_t id = detail::tracing::new_segment_id();
  detail::tracing::record(detail::tracing::kind::coro_lock_wait_begin, id, 0,
                          name_ != nullptr ? detail::tracing::intern_label(name_) : nullptr);
  return id;
}

void async_mutex::unlock() noexcept {
  detail::waiter* next = nullptr;
  {
    std::lock_guard lock(mu_);
    next = waiters_.pop_front();
    if (next == nullptr) locked_ = false;  // else: stays locked, now held by `next`
  }
  if (next != nullptr) next->wake();
}

}  // namespace brigade
