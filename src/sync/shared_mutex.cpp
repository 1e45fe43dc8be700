// brigade::shared_mutex: a mutex-guarded state machine with two queues; releases wake, not hand
// off.
#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/sync/shared_mutex.hpp>

#include <cstdint>

namespace brigade {

bool shared_mutex::acquire(bool exclusive, const detail::source_site& where,
                           std::chrono::steady_clock::time_point deadline,
                           const std::stop_token* stop) {
  const bool checked = detail::lock_check::on();
  if (checked) [[unlikely]]
    detail::lock_check::before_lock(this, name_, where);
  bool woken = false;  // a writer woken by a release counts in writers_woken_ until it is back
  for (;;) {
    detail::parker p;  // one-shot: a fresh one for every sleep
    detail::waiter w;
    w.thread = &p;
    {
      std::lock_guard lock(mu_);
      if (woken && exclusive) --writers_woken_;
      if (can_take(exclusive)) {
        if (exclusive) {
          writer_ = true;
        } else {
          ++readers_;
        }
        break;
      }
      (exclusive ? writers_waiting_ : readers_waiting_).push_back(w);
    }
    detail::queued_cancel cancel;
    if (stop != nullptr) cancel.arm(*stop, w, exclusive ? writers_waiting_ : readers_waiting_, mu_);
    const bool traced = detail::tracing::on();
    const auto id = reinterpret_cast<std::uintptr_t>(this);
    if (traced)
      detail::tracing::record(detail::tracing::kind::lock_wait_begin, id, 0,
                              name_ != nullptr ? detail::tracing::intern_label(name_) : nullptr);
    bool timed_out = false;
    if (deadline == std::chrono::steady_clock::time_point::max()) {
      p.wait(exclusive ? "brigade::shared_mutex (exclusive)" : "brigade::shared_mutex (shared)",
             name_, this);
      cancel.disarm();
      if (w.cancelled || w.cancel_requested) {
        // Dequeued by the stop callback, or woken by a release and then stopped: leave, passing
        // on what our leaving lets in.
        give_up(w, exclusive, w.cancelled);
        timed_out = true;
      }
    } else if (!p.wait_until(deadline)) {
      cancel.disarm();
      give_up(w, exclusive, w.cancelled);
      timed_out = true;
    }
    if (traced) detail::tracing::record(detail::tracing::kind::lock_wait_end, id, 0, nullptr);
    if (timed_out) return false;
    woken = true;  // a release freed the lock and woke us: compete for it again
  }
  if (checked) [[unlikely]]
    detail::lock_check::after_lock(this, name_, where, exclusive);
  return true;
}

// A timed-out waiter leaves the queue. If a release woke it meanwhile, it passes that wake-up
// on instead (the lock may be free with others asleep); a writer leaving may also let the
// readers queued behind it in.
void shared_mutex::give_up(detail::waiter& w, bool exclusive, bool dequeued) {
  detail::waiter* wake = nullptr;
  bool woken = false;
  {
    std::lock_guard lock(mu_);
    woken = !w.linked && !dequeued;
    if (dequeued) {
      // nothing to undo: the stop callback removed w and already notified its parker
    } else if (woken) {
      if (exclusive) --writers_woken_;
    } else {
      (exclusive ? writers_waiting_ : readers_waiting_).remove(w);
    }
    release_locked(wake);
  }
  if (woken) w.thread->wait();  // the wake-up's notify is on its way
  detail::wake_chain(wake);
}

void shared_mutex::lock(detail::source_site where) {
  (void)acquire(true, where);
}

void shared_mutex::lock_shared(detail::source_site where) {
  (void)acquire(false, where);
}

bool shared_mutex::try_lock(detail::source_site where) noexcept {
  {
    std::lock_guard lock(mu_);
    if (!can_take(true)) return false;
    writer_ = true;
  }
  if (detail::lock_check::on()) [[unlikely]]
    detail::lock_check::after_lock(this, name_, where, true);
  return true;
}

bool shared_mutex::try_lock_shared(detail::source_site where) noexcept {
  {
    std::lock_guard lock(mu_);
    if (!can_take(false)) return false;
    ++readers_;
  }
  if (detail::lock_check::on()) [[unlikely]]
    detail::lock_check::after_lock(this, name_, where, false);
  return true;
}

// With mu_ held: wakes whoever can now take the lock, to compete for it — the next writer if
// the lock is free (unless a writer woken earlier is still on its way), else the queued readers
// if no writer holds or waits for it (they share with the readers inside). `wake` receives the
// chain to wake once mu_ is released.
void shared_mutex::release_locked(detail::waiter*& wake) noexcept {
  if (writer_ || writers_woken_ != 0) return;
  if (readers_ == 0) {
    if (detail::waiter* w = writers_waiting_.pop_front()) {
      ++writers_woken_;
      w->next = nullptr;
      wake = w;
      return;
    }
  }
  if (writers_waiting_.empty()) wake = readers_waiting_.take_all();
}

void shared_mutex::unlock() noexcept {
  if (detail::lock_check::on()) [[unlikely]]
    detail::lock_check::on_unlock(this);
  detail::waiter* wake = nullptr;
  {
    std::lock_guard lock(mu_);
    writer_ = false;
    release_locked(wake);
  }
  detail::wake_chain(wake);
}

void shared_mutex::unlock_shared() noexcept {
  if (detail::lock_check::on()) [[unlikely]]
    detail::lock_check::on_unlock(this);
  detail::waiter* wake = nullptr;
  {
    std::lock_guard lock(mu_);
    --readers_;
    release_locked(wake);
  }
  detail::wake_chain(wake);
}

}  // namespace brigade
