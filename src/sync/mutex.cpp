// The slow paths of brigade::mutex: sleeping, waking, timeouts, checked mode and tracing.
#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/sync/mutex.hpp>

#include <cstdint>
#include <system_error>

namespace brigade {

namespace {
constexpr int spin_tries = 64;

// Records the wait in the trace when tracing is on: begin now, end when destroyed.
class traced_wait {
 public:
  traced_wait(const void* lock, const char* name) noexcept
      : id_(reinterpret_cast<std::uintptr_t>(lock)), on_(detail::tracing::on()) {
    if (on_)
      detail::tracing::record(detail::tracing::kind::lock_wait_begin, id_, 0,
                              name != nullptr ? detail::tracing::intern_label(name) : nullptr);
  }
  ~traced_wait() {
    if (on_) detail::tracing::record(detail::tracing::kind::lock_wait_end, id_, 0, nullptr);
  }
  traced_wait(const traced_wait&) = delete;
  traced_wait& operator=(const traced_wait&) = delete;

 private:
  std::uint64_t id_;
  bool on_;
};
}  // namespace

void mutex::lock_checked(const char* file, unsigned line, const char* function) {
  const detail::source_site where = detail::source_site::current(file, line, function);
  detail::lock_check::before_lock(this, name_, where);
  if (!try_acquire()) lock_slow(true, nullptr);
  acquired(true, where);
}

void mutex::after_lock_checked(const char* file, unsigned line, const char* function) noexcept {
  detail::lock_check::after_lock(this, name_, detail::source_site::current(file, line, function));
}

bool mutex::lock_slow(bool checked, const std::chrono::steady_clock::time_point* deadline,
                      const std::stop_token* stop) {
  if (owner_.load(detail::memory_order_relaxed) == detail::thread_tag())
    throw std::system_error(std::make_error_code(std::errc::resource_deadlock_would_occur),
                            "brigade::mutex: locked by the thread that already holds it");
  traced_wait trace(this, name_);
  // Whether unlock_slow() woke us. That thread is the one that keeps the other sleepers from
  // being forgotten: if it takes the lock, it marks it 2 (its unlock then wakes the next one);
  // if another thread barged in first, it marks it 2 on its way back to sleep.
  bool woken = false;
  for (;;) {
    // A short spin first: critical sections are usually shorter than a sleep/wake round trip.
    for (int i = 0; i < spin_tries; ++i) {
      detail::cpu_relax();
      if (state_.load(detail::memory_order_relaxed) != 0) continue;
      std::uint32_t zero = 0;
      // Acquire pairs with the release of unlock() / unlock_slow().
      if (state_.compare_exchange_strong(zero, woken ? 2 : 1, detail::memory_order_acquire,
                                         detail::memory_order_relaxed))
        return true;
    }
    detail::parker p;  // one-shot: a fresh one for every sleep
    detail::waiter w;
    w.thread = &p;
    {
      std::lock_guard lock(mu_);
      std::uint32_t s = state_.load(detail::memory_order_relaxed);
      bool queue = false;
      while (!queue) {
        if (s == 0) {
          // Free: take it, marked 2 while others still sleep so that our unlock wakes one.
          if (state_.compare_exchange_weak(s, waiters_.empty() ? 1 : 2,
                                           detail::memory_order_acquire,
                                           detail::memory_order_relaxed))
            return true;
        } else if (s == 1) {
          // Relaxed: the owner's unlock() will fail its 1 -> 0 CAS and take mu_, which orders it.
          queue = state_.compare_exchange_weak(s, 2, detail::memory_order_relaxed,
                                               detail::memory_order_relaxed);
        } else {
          queue = true;
        }
      }
      waiters_.push_back(w);
    }
    // A stop request takes w out of the queue and wakes us (w.cancelled); one that finds w
    // already woken by unlock_slow() only marks it (w.cancel_requested).
    detail::queued_cancel cancel;
    if (stop != nullptr) cancel.arm(*stop, w, waiters_, mu_);
    if (checked && deadline == nullptr) {
      try {
        detail::lock_check::before_wait(this);
      } catch (...) {
        cancel.disarm();
        if (!w.cancelled) leave_queue(w, p);
        throw;
      }
    }
    if (deadline == nullptr) {
      p.wait("brigade::mutex", name_, this);
    } else if (!p.wait_until(*deadline)) {
      cancel.disarm();
      leave_queue(w, p);
      // One last look: the lock may have come free just as the time ran out.
      return state_.load(detail::memory_order_relaxed) == 0 && try_acquire();
    }
    if (checked && deadline == nullptr) detail::lock_check::after_wait();
    cancel.disarm();
    if (w.cancelled) return false;  // the stop callback dequeued us: nobody's wake-up to pass on
    if (w.cancel_requested || (stop != nullptr && stop->stop_requested())) {
      wake_next();  // woken by unlock_slow() but leaving: pass the wake-up on
      return false;
    }
    // Woken by unlock_slow(), which freed the lock: compete for it again (others may barge).
    woken = true;
  }
}

void mutex::leave_queue(detail::waiter& w, detail::parker& p) noexcept {
  bool woken = false;
  {
    std::lock_guard lock(mu_);
    woken = !w.linked;
    if (!woken) waiters_.remove(w);
  }
  if (woken) {
    p.wait();     // unlock_slow() chose us just now: let its notify finish with our parker...
    wake_next();  // ...and pass the wake-up on, or a sleeper could wait for a free lock
  }
}

void mutex::wake_next() noexcept {
  detail::waiter* next = nullptr;
  {
    std::lock_guard lock(mu_);
    next = waiters_.pop_front();
  }
  if (next != nullptr) next->wake();
}

void mutex::unlock_slow() noexcept {
  // No hand-off: the lock becomes free and the longest sleeper is woken to compete for it. A
  // thread that locks meanwhile may take it first (barging), which keeps a busy lock from
  // convoying: with hand-off, every unlock-then-lock of a contended lock waited for a wake-up.
  detail::waiter* next = nullptr;
  {
    std::lock_guard lock(mu_);
    next = waiters_.pop_front();
    // Release pairs with try_acquire()'s acquire CAS (and lock_slow()'s under mu_).
    state_.store(0, detail::memory_order_release);
  }
  if (next != nullptr) next->wake();
}

}  // namespace brigade
