// brigade::latch and brigade::barrier: counts and waiter lists under one mutex each.
#include <brigade/sync/barrier.hpp>
#include <brigade/sync/latch.hpp>

#include <exception>
#include <stdexcept>
#include <string>

namespace brigade {

latch::latch(std::ptrdiff_t count) : count_(count) {
  if (count < 0)
    throw std::invalid_argument("brigade::latch: negative count " + std::to_string(count));
}

void latch::count_down(std::ptrdiff_t n) {
  detail::waiter* wake = nullptr;
  {
    std::lock_guard lock(mu_);
    if (n < 0 || n > count_)
      throw std::invalid_argument("brigade::latch::count_down: " + std::to_string(n) +
                                  " with a count of " + std::to_string(count_));
    count_ -= n;
    if (count_ == 0) wake = waiters_.take_all();
  }
  detail::wake_chain(wake);
}

bool latch::try_wait() const noexcept {
  std::lock_guard lock(mu_);
  return count_ == 0;
}

bool latch::enqueue(detail::waiter& w) const noexcept {
  std::lock_guard lock(mu_);
  if (count_ == 0) return false;
  if (w.cancel_requested) {
    w.cancelled = true;
    return false;
  }
  waiters_.push_back(w);
  return true;
}

void latch::wait() const {
  detail::check_may_block("latch::wait", "co_await latch");
  detail::parker p;
  detail::waiter w;
  w.thread = &p;
  if (enqueue(w)) p.wait("brigade::latch", nullptr, this);
}

bool latch::wait_until(std::chrono::steady_clock::time_point deadline) const {
  return wait_impl(deadline, nullptr, "latch::wait_for");
}

bool latch::wait(std::stop_token stop) const {
  return wait_impl(std::chrono::steady_clock::time_point::max(), &stop, "latch::wait");
}

bool latch::wait_impl(std::chrono::steady_clock::time_point deadline, const std::stop_token* stop,
                      const char* what) const {
  detail::check_may_block(what, "co_await latch");
  detail::parker p;
  detail::waiter w;
  w.thread = &p;
  if (!enqueue(w)) return true;
  return detail::wait_until_or_unqueue(p, w, waiters_, mu_, deadline, stop);
}

void latch::arrive_and_wait(std::ptrdiff_t n) {
  detail::check_may_block("latch::arrive_and_wait", "count_down() then co_await latch");
  count_down(n);
  wait();
}

barrier::barrier(std::ptrdiff_t expected, std::function<void()> completion)
    : expected_(expected), completion_(std::move(completion)) {
  if (expected < 0)
    throw std::invalid_argument("brigade::barrier: negative count " + std::to_string(expected));
}

void barrier::complete_phase(std::unique_lock<std::mutex>& lock) {
  arrived_ = 0;
  ++phase_;
  detail::waiter* wake = waiters_.take_all();
  lock.unlock();
  std::exception_ptr error;
  if (completion_) {
    try {
      completion_();
    } catch (...) {
      error = std::current_exception();
    }
  }
  detail::wake_chain(wake);
  if (error) std::rethrow_exception(error);
}

std::uint64_t barrier::arrive_and_wait() {
  detail::check_may_block("barrier::arrive_and_wait", "a brigade::latch per phase, co_awaited");
  std::unique_lock lock(mu_);
  const std::uint64_t phase = phase_;
  if (++arrived_ >= expected_) {
    complete_phase(lock);
    return phase;
  }
  detail::parker p;
  detail::waiter w;
  w.thread = &p;
  waiters_.push_back(w);
  lock.unlock();
  p.wait("brigade::barrier", nullptr, this);
  return phase;
}

bool barrier::arrive_and_wait(std::stop_token stop) {
  return arrive_and_wait_impl(std::chrono::steady_clock::time_point::max(), &stop);
}

bool barrier::arrive_and_wait_impl(std::chrono::steady_clock::time_point deadline,
                                   const std::stop_token* stop) {
  detail::check_may_block("barrier::arrive_and_wait_for", "a brigade::latch per phase, co_awaited");
  std::unique_lock lock(mu_);
  if (++arrived_ >= expected_) {
    complete_phase(lock);
    return true;
  }
  detail::parker p;
  detail::waiter w;
  w.thread = &p;
  waiters_.push_back(w);
  lock.unlock();
  // A waiter no longer queued was released by complete_phase (take_all) or cancelled.
  return detail::wait_until_or_unqueue(p, w, waiters_, mu_, deadline, stop);
}

void barrier::arrive_and_drop() {
  std::unique_lock lock(mu_);
  if (expected_ == 0) throw std::logic_error("brigade::barrier::arrive_and_drop: nobody expected");
  --expected_;
  if (arrived_ > 0 && arrived_ >= expected_) complete_phase(lock);
}

}  // namespace brigade
