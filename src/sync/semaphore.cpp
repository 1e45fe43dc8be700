// brigade::semaphore: a count and a FIFO of waiters under one mutex; release hands permits over.
#include <brigade/sync/semaphore.hpp>

#include <stdexcept>
#include <string>

namespace brigade {

semaphore::semaphore(std::ptrdiff_t initial) : count_(initial) {
  if (initial < 0)
    throw std::invalid_argument("brigade::semaphore: negative initial count " +
                                std::to_string(initial));
}

bool semaphore::try_acquire() noexcept {
  std::lock_guard lock(mu_);
  if (count_ == 0) return false;
  --count_;
  return true;
}

bool semaphore::enqueue(detail::waiter& w) noexcept {
  std::lock_guard lock(mu_);
  if (count_ > 0) {
    --count_;
    return false;
  }
  if (w.cancel_requested) {
    w.cancelled = true;
    return false;
  }
  waiters_.push_back(w);
  return true;
}

void semaphore::blocking_acquire() {
  detail::check_may_block("semaphore::blocking_acquire", "co_await sem.acquire()");
  detail::parker p;
  detail::waiter w;
  w.thread = &p;
  if (enqueue(w)) p.wait("brigade::semaphore", nullptr, this);  // release() took the permit for us
}

bool semaphore::blocking_acquire(std::stop_token stop) {
  return acquire_until(std::chrono::steady_clock::time_point::max(), &stop);
}

bool semaphore::acquire_until(std::chrono::steady_clock::time_point deadline,
                              const std::stop_token* stop) {
  detail::check_may_block("semaphore::try_acquire_for", "co_await sem.acquire()");
  detail::parker p;
  detail::waiter w;
  w.thread = &p;
  if (!enqueue(w)) return true;  // a permit was free
  return detail::wait_until_or_unqueue(p, w, waiters_, mu_, deadline, stop);
}

void semaphore::release(std::ptrdiff_t n) {
  if (n < 0)
    throw std::invalid_argument("brigade::semaphore::release: negative count " + std::to_string(n));
  detail::waiter* first = nullptr;
  detail::waiter* last = nullptr;
  {
    std::lock_guard lock(mu_);
    count_ += n;
    while (count_ > 0 && !waiters_.empty()) {
      detail::waiter* w = waiters_.pop_front();
      --count_;
      w->next = nullptr;
      (last != nullptr ? last->next : first) = w;
      last = w;
    }
  }
  detail::wake_chain(first);
}

std::ptrdiff_t semaphore::available() const noexcept {
  std::lock_guard lock(mu_);
  return count_;
}

}  // namespace brigade
