// brigade::latch and brigade::barrier: counts and waiter lists under one mutex each.
#include <brigade/sync/barrier.hpp>
#include <brigade/sync/latch.hpp>

#include <exception>
#include <stdexcept>
#include <string>

namespace brigade {

latch::latch(std::ptrdiff_t count, const char* name) : count_(count), name_(name) {
  if (count < 0)
    throw std::invalid_argument("brigade::latch: negative count " + std::to_string(count));
}

void latch::count_down(std::ptrdiff_t n) {
  std::ptrdiff_t c = count_.load(detail::memory_order_relaxed);
  do {
    if (n < 0 || n > c)
      throw std::invalid_argument("brigade::latch::count_down: " + std::to_string(n) +
                                  " with a count of " + std::to_string(c));
    // acq_rel: release so that this count_down happens-before a wait that sees zero (try_wait's
    // acquire load, or a waiter woken through mu_ and its parker by the thread that reached
    // zero); acquire so that the thread reaching zero has every earlier count_down behind it
    // before it wakes anyone (the CASes form one release sequence).
  } while (!count_.compare_exchange_weak(c, c - n, detail::memory_order_acq_rel,
                                         detail::memory_order_relaxed));
  if (c - n != 0 || n == 0) return;
  detail::waiter* wake = nullptr;
  {
    std::lock_guard lock(mu_);  // a waiter that read a non-zero count under mu_ is queued now
    wake = waiters_.take_all();
  }
  detail::wake_chain(wake);
}

bool latch::try_wait() const noexcept {
  // Acquire: pairs with count_down()'s acq_rel CAS.
  return count_.load(detail::memory_order_acquire) == 0;
}

bool latch::enqueue(detail::waiter& w) const noexcept {
  std::lock_guard lock(mu_);
  // Under mu_: the count_down reaching zero takes mu_ after its CAS, so it either sees w queued
  // or w sees zero here.
  if (try_wait()) return false;
  if (w.cancel_requested) {
    w.cancelled = true;
    return false;
  }
  w.trace_begin("latch", name_);
  waiters_.push_back(w);
  return true;
}

namespace {
// How often wait() looks at the count before it sleeps: the last arrivals of a round usually
// come within a futex round trip of each other.
constexpr int spin_tries = 64;
}  // namespace

bool latch::spin_until_open() const noexcept {
  for (int i = 0; i < spin_tries; ++i) {
    if (try_wait()) return true;
    detail::cpu_relax();
  }
  return try_wait();
}

void latch::wait() const {
  detail::check_may_block("latch::wait", "co_await latch");
  if (spin_until_open()) return;
  detail::parker p;
  detail::waiter w;
  w.thread = &p;
  if (enqueue(w)) p.wait("brigade::latch", name_, this);
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
  if (spin_until_open()) return true;
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

barrier::barrier(std::ptrdiff_t expected, std::function<void()> completion, const char* name)
    : expected_(expected), completion_(std::move(completion)), name_(name) {
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
  w.trace_begin("barrier", name_);
  waiters_.push_back(w);
  lock.unlock();
  p.wait("brigade::barrier", name_, this);
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
  w.trace_begin("barrier", name_);
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
