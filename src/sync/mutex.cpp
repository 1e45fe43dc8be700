// The slow paths of brigade::mutex: queueing, hand-off, timeouts, checked mode and tracing.
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

bool mutex::lock_slow(bool checked, const std::chrono::steady_clock::time_point* deadline) {
  if (owner_.load(detail::memory_order_relaxed) == detail::thread_tag())
    throw std::system_error(std::make_error_code(std::errc::resource_deadlock_would_occur),
                            "brigade::mutex: locked by the thread that already holds it");
  // A short spin first: critical sections are usually shorter than a sleep/wake round trip.
  for (int i = 0; i < spin_tries; ++i) {
    detail::cpu_relax();
    if (state_.load(detail::memory_order_relaxed) == 0 && try_acquire()) return true;
  }
  traced_wait trace(this, name_);
  detail::parker p;
  detail::waiter w;
  w.thread = &p;
  {
    std::lock_guard lock(mu_);
    std::uint32_t s = state_.load(detail::memory_order_relaxed);
    for (;;) {
      if (s == 0) {
        // Free, so nobody is queued (unlock hands over while anyone is): take it.
        if (state_.compare_exchange_weak(s, 1, detail::memory_order_acquire,
                                         detail::memory_order_relaxed))
          return true;
      } else if (s == 1) {
        // Relaxed: the owner's unlock() will fail its 1 -> 0 CAS and take mu_, which orders it.
        if (state_.compare_exchange_weak(s, 2, detail::memory_order_relaxed,
                                         detail::memory_order_relaxed))
          break;
      } else {
        break;
      }
    }
    waiters_.push_back(w);
  }
  if (checked && deadline == nullptr) {
    try {
      detail::lock_check::before_wait(this);
    } catch (...) {
      bool handed = false;
      {
        std::lock_guard lock(mu_);
        handed = !w.linked;
        if (!handed) waiters_.remove(w);
      }
      if (handed) {
        p.wait();  // handed the lock meanwhile: take the hand-off, then give it back
        unlock();
      }
      throw;
    }
  }
  bool granted = true;
  if (deadline == nullptr) {
    p.wait();
  } else if (!p.wait_until(*deadline)) {
    std::lock_guard lock(mu_);
    if (w.linked) {
      waiters_.remove(w);
      granted = false;
    } else {
      p.wait();  // unlock_slow() handed it to us just now: its notify is on the way
    }
  }
  if (checked && deadline == nullptr) detail::lock_check::after_wait();
  // Ownership was handed over under mu_, whose release/acquire orders the previous owner's
  // critical section before ours.
  return granted;
}

void mutex::unlock_slow() noexcept {
  detail::waiter* next = nullptr;
  {
    std::lock_guard lock(mu_);
    next = waiters_.pop_front();
    if (next == nullptr) {
      // Release pairs with try_acquire()'s acquire CAS.
      state_.store(0, detail::memory_order_release);
    } else {
      // Hand-off: the lock stays taken, now by `next`; 1 lets its unlock take the fast path.
      state_.store(waiters_.empty() ? 1 : 2, detail::memory_order_relaxed);
    }
  }
  if (next != nullptr) next->wake();
}

}  // namespace brigade
