// brigade::shared_mutex: a mutex-guarded state machine with two queues and hand-off.
#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/sync/shared_mutex.hpp>

#include <cstdint>

namespace brigade {

bool shared_mutex::acquire(bool exclusive, const detail::source_site& where,
                           std::chrono::steady_clock::time_point deadline) {
  const bool checked = detail::lock_check::on();
  if (checked) [[unlikely]]
    detail::lock_check::before_lock(this, name_, where);
  detail::parker p;
  detail::waiter w;
  w.thread = &p;
  bool queued = false;
  {
    std::lock_guard lock(mu_);
    if (can_take(exclusive)) {
      if (exclusive) {
        writer_ = true;
      } else {
        ++readers_;
      }
    } else {
      (exclusive ? writers_waiting_ : readers_waiting_).push_back(w);
      queued = true;
    }
  }
  if (queued) {
    const bool traced = detail::tracing::on();
    const auto id = reinterpret_cast<std::uintptr_t>(this);
    if (traced)
      detail::tracing::record(detail::tracing::kind::lock_wait_begin, id, 0,
                              name_ != nullptr ? detail::tracing::intern_label(name_) : nullptr);
    bool granted = true;
    if (deadline == std::chrono::steady_clock::time_point::max()) {
      p.wait();  // the releasing holder counted us in before waking us
    } else if (!p.wait_until(deadline)) {
      granted = !give_up(w, exclusive);
    }
    if (traced) detail::tracing::record(detail::tracing::kind::lock_wait_end, id, 0, nullptr);
    if (!granted) return false;
  }
  if (checked) [[unlikely]]
    detail::lock_check::after_lock(this, name_, where, exclusive);
  return true;
}

// A timed-out waiter leaves the queue; true if it did (false: it was granted meanwhile and has
// the lock after all). A writer leaving may let the readers queued behind it in.
bool shared_mutex::give_up(detail::waiter& w, bool exclusive) {
  detail::waiter* wake = nullptr;
  bool granted = false;
  {
    std::lock_guard lock(mu_);
    granted = !w.linked;
    if (!granted) {
      (exclusive ? writers_waiting_ : readers_waiting_).remove(w);
      if (exclusive && !writer_ && writers_waiting_.empty()) {
        for (detail::waiter* r = readers_waiting_.front(); r != nullptr; r = r->next) ++readers_;
        wake = readers_waiting_.take_all();
      }
    }
  }
  if (granted) {
    w.thread->wait();  // the grant's notify is on its way
    return false;
  }
  detail::wake_chain(wake);
  return true;
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

// With mu_ held and the lock free of holders: hands it to the next writer, else to every
// queued reader. `wake` receives the chain to wake once mu_ is released.
void shared_mutex::release_locked(detail::waiter*& wake) noexcept {
  if (readers_ != 0 || writer_) return;
  if (detail::waiter* w = writers_waiting_.pop_front()) {
    writer_ = true;
    w->next = nullptr;
    wake = w;
    return;
  }
  for (detail::waiter* r = readers_waiting_.front(); r != nullptr; r = r->next) ++readers_;
  wake = readers_waiting_.take_all();
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
