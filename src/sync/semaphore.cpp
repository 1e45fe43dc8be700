// brigade::semaphore: an atomic count (lock-free fast paths) and, under a mutex, a FIFO of
// sleepers. release() wakes sleeping threads to compete (barging) and hands permits to queued
// coroutines.
//
// No lost wake-up: a waiter sets queued_ (seq_cst) and then reads count_ (seq_cst) before it
// queues; release() adds to count_ (seq_cst) and then reads queued_ (seq_cst). In the single
// total order of those four operations, either the waiter sees the new permit or release()
// sees queued_ set and takes mu_, which the waiter holds until it is in the list.
#include <brigade/sync/semaphore.hpp>

#include <stdexcept>
#include <string>

namespace brigade {

namespace {
// A short spin before sleeping: a permit often comes back sooner than a futex round trip.
constexpr int spin_tries = 32;
}  // namespace

semaphore::semaphore(std::ptrdiff_t initial, const char* name) : count_(initial), name_(name) {
  if (initial < 0)
    throw std::invalid_argument("brigade::semaphore: negative initial count " +
                                std::to_string(initial));
}

bool semaphore::try_acquire() noexcept {
  return take_permit(detail::memory_order_relaxed);
}

bool semaphore::take_permit(std::memory_order first_load) noexcept {
  std::ptrdiff_t c = count_.load(first_load);
  // Acquire on success: pairs with release()'s fetch_add (a release operation, seq_cst), so the
  // release that gave this permit happens-before our return.
  while (c > 0)
    if (count_.compare_exchange_weak(c, c - 1, detail::memory_order_acquire,
                                     detail::memory_order_relaxed))
      return true;
  return false;
}

bool semaphore::enqueue(detail::waiter& w) noexcept {
  std::lock_guard lock(mu_);
  // seq_cst: the writing side of the handshake (file comment).
  queued_.store(true, detail::memory_order_seq_cst);
  // seq_cst first load: the reading side of the queued_/count_ handshake (file comment).
  if (take_permit(detail::memory_order_seq_cst)) return false;
  if (w.cancel_requested) {
    w.cancelled = true;
    return false;
  }
  w.trace_begin("semaphore", name_);
  waiters_.push_back(w);
  return true;
}

void semaphore::blocking_acquire() {
  detail::check_may_block("semaphore::blocking_acquire", "co_await sem.acquire()");
  acquire_until(std::chrono::steady_clock::time_point::max(), nullptr);
}

bool semaphore::blocking_acquire(std::stop_token stop) {
  detail::check_may_block("semaphore::blocking_acquire", "co_await sem.acquire()");
  return acquire_until(std::chrono::steady_clock::time_point::max(), &stop);
}

bool semaphore::acquire_until(std::chrono::steady_clock::time_point deadline,
                              const std::stop_token* stop) {
  detail::check_may_block("semaphore::try_acquire_for", "co_await sem.acquire()");
  const bool forever = deadline == std::chrono::steady_clock::time_point::max();
  for (;;) {
    for (int i = 0; i < spin_tries; ++i) {
      if (try_acquire()) return true;
      detail::cpu_relax();
    }
    if (stop != nullptr && stop->stop_requested()) return false;
    detail::parker p;  // one-shot: a fresh one (and waiter) for every sleep
    detail::waiter w;
    w.thread = &p;
    detail::queued_cancel cancel;
    if (stop != nullptr) cancel.arm(*stop, w, waiters_, mu_);
    if (!enqueue(w)) {
      cancel.disarm();
      return !w.cancelled;  // took a free permit, or the stop request came first
    }
    bool notified = true;
    if (forever) {
      p.wait("brigade::semaphore", name_, this);
    } else {
      notified = p.wait_until(deadline);
    }
    if (!notified) {
      bool queued = false;
      {
        std::lock_guard lock(mu_);
        queued = w.linked;
        if (queued) waiters_.remove(w);
      }
      // Not queued: release() (or the stop callback) took us out just now; its notify is on the
      // way, and p must outlive it.
      if (!queued) p.wait();
    }
    cancel.disarm();                // waits for a stop callback running on another thread
    if (w.cancelled) return false;  // the stop callback dequeued us: we were woken for nothing
    // Woken by release() (or timed out): look again. A permit free now is ours even if the time
    // ran out or stop was requested; if none is, the permit we were woken for went to a barger
    // and there is no wake-up to pass on.
    if (try_acquire()) return true;
    if (!notified || (stop != nullptr && stop->stop_requested())) return false;
  }
}

void semaphore::release(std::ptrdiff_t n) {
  if (n < 0)
    throw std::invalid_argument("brigade::semaphore::release: negative count " + std::to_string(n));
  if (n == 0) return;
  // seq_cst: the releasing side of the handshake (file comment); as a release operation it also
  // pairs with try_acquire()'s acquire CAS.
  count_.fetch_add(n, detail::memory_order_seq_cst);
  if (!queued_.load(detail::memory_order_seq_cst)) return;  // nobody sleeps: no lock, no wake
  detail::waiter* first = nullptr;
  detail::waiter* last = nullptr;
  {
    std::lock_guard lock(mu_);
    for (std::ptrdiff_t k = 0; k < n; ++k) {
      detail::waiter* w = waiters_.front();
      if (w == nullptr) break;
      // A coroutine is handed a permit (it cannot look again); a thread is woken to compete.
      if (w->thread == nullptr && !try_acquire()) break;
      waiters_.pop_front();
      w->next = nullptr;
      (last != nullptr ? last->next : first) = w;
      last = w;
    }
    // Under mu_, so no waiter is between setting queued_ and queueing.
    if (waiters_.empty()) queued_.store(false, detail::memory_order_seq_cst);
  }
  detail::wake_chain(first);
}

std::ptrdiff_t semaphore::available() const noexcept {
  return count_.load(detail::memory_order_relaxed);
}

}  // namespace brigade
