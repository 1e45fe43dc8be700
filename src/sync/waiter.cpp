// Parking threads and waking waiters: the shared half of src/sync.
#include "../pool/futex.hpp"

#include <brigade/pool/detail/scheduler.hpp>
#include <brigade/sync/detail/deadlock_watch.hpp>
#include <brigade/sync/detail/waiter.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace brigade::detail {

void parker::wait(const char* what, const char* name, const void* object) noexcept {
  // Acquire (every load of state_ here): pairs with notify()'s release exchange, so whatever the
  // notifier did before notify() happens-before this returns.
  if (state_.load(memory_order_acquire) == notified) return;
  // Only an untimed wait can last forever: it alone is watched.
  deadlock_watch::blocked_scope watched(what, name, object != nullptr ? object : this);
  std::uint32_t s = idle;
  // The RMW order on state_ alone decides whether notify() sees `sleeping` (and wakes) or we
  // see `notified`; acquire (needed only on failure, when it finds `notified`; g++ wants the
  // success order at least as strong) pairs with notify()'s release.
  if (!state_.compare_exchange_strong(s, sleeping, memory_order_acquire, memory_order_acquire) &&
      s == notified)
    return;
  // FUTEX_WAIT sleeps only while the word is still `sleeping`: a notify between the CAS and the
  // call makes it return at once. Spurious returns loop.
  while (state_.load(memory_order_acquire) != notified) futex_wait(state_, sleeping, -1);
}

bool parker::wait_until(std::chrono::steady_clock::time_point deadline) noexcept {
  if (state_.load(memory_order_acquire) == notified) return true;
  std::uint32_t s = idle;
  // As in wait().
  if (!state_.compare_exchange_strong(s, sleeping, memory_order_acquire, memory_order_acquire) &&
      s == notified)
    return true;
  for (;;) {
    if (state_.load(memory_order_acquire) == notified) return true;
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;  // stays `sleeping`
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    futex_wait(state_, sleeping, ns > 0 ? static_cast<long>(ns) : 1L);
  }
}

void parker::notify() noexcept {
  // Release: pairs with the waiter's acquire loads. After the exchange the waiter may be gone;
  // the wake below only names the address.
  if (state_.exchange(notified, memory_order_release) == sleeping) futex_wake(state_, 1);
}

void sync_wait_trace::begin_recorded(const char* what, const char* name, bool thread) noexcept {
  const char* label = what;
  if (name != nullptr) {
    try {
      label = tracing::intern(std::string(name) + " (" + what + ")");
    } catch (...) {  // out of memory: the kind alone
    }
  }
  if (thread) before_ = tracing::end_segment();  // waiting is not work
  id_ = tracing::new_segment_id();
  tracing::record(tracing::kind::sync_wait_begin, id_, 0, label);
}

void sync_wait_trace::end_recorded() noexcept {
  tracing::record(tracing::kind::sync_wait_end, std::exchange(id_, 0), 0, nullptr);
  // A thread that was in a segment goes on in one after it and after the signal.
  if (before_ != 0) tracing::begin_segment(nullptr, std::exchange(before_, 0), signal_);
}

void queued_cancel::fn::operator()() const noexcept {
  bool wake = false;
  {
    std::lock_guard lock(*mu);
    if (w->linked) {
      list->remove(*w);
      w->cancelled = true;
      wake = true;
    } else {
      w->cancel_requested = true;
    }
  }
  if (wake) w->wake();  // the last touch: the waiter may resume and be gone after this
}

bool wait_until_or_unqueue(parker& p, waiter& w, waiter_list& list, std::mutex& mu,
                           std::chrono::steady_clock::time_point deadline,
                           const std::stop_token* stop) noexcept {
  queued_cancel cancel;
  if (stop != nullptr) cancel.arm(*stop, w, list, mu);
  const bool forever = deadline == std::chrono::steady_clock::time_point::max();
  bool notified = true;
  if (forever) {
    p.wait();
  } else {
    notified = p.wait_until(deadline);
  }
  if (!notified) {
    bool queued = false;
    {
      std::lock_guard lock(mu);
      queued = w.linked;
      if (queued) list.remove(w);
    }
    // Not queued: completed or cancelled just as we timed out; its notify is on the way.
    if (!queued) p.wait();
    cancel.disarm();
    return !queued && !w.cancelled;
  }
  // The parker was notified: by the primitive (completed) or by the stop callback (cancelled;
  // it set w.cancelled under mu before notifying, and the parker's release/acquire orders the
  // two).
  cancel.disarm();
  return !w.cancelled;
}

void check_may_block(const char* what, const char* instead) {
  const char* where = current_worker() != nullptr           ? "a pool worker"
                      : current_resume_context() != nullptr ? "an event loop or simulation thread"
                                                            : nullptr;
  if (where == nullptr) return;
  throw std::logic_error(std::string("brigade::") + what + ": would block " + where +
                         "; from a coroutine use " + instead + ", or call it from a plain thread");
}

void waiter::wake_after(std::uint64_t signal) noexcept {
  if (thread != nullptr) {
    trace.signalled(signal);  // before notify: the thread reads it once woken
    thread->notify();
    return;
  }
  if (context != nullptr) {
    context->resume_later(coro, signal);
    return;
  }
  if (worker* w = current_worker()) {
    // A chain of hand-offs (unlock resumes a waiter that unlocks ...) must not grow the stack:
    // on a worker the coroutine is queued on its pool instead of resumed inline.
    // A deque that is full and cannot grow (no memory for a bigger ring): resumed here.
    job_.h = coro;
    if (w->try_push(&job_)) return;
  }
  coro.resume();
}

void waiter_list::push_back(waiter& w) noexcept {
  w.next = nullptr;
  w.prev = tail_;
  w.linked = true;
  if (tail_ != nullptr) {
    tail_->next = &w;
  } else {
    head_ = &w;
  }
  tail_ = &w;
}

waiter* waiter_list::pop_front() noexcept {
  waiter* w = head_;
  if (w != nullptr) remove(*w);
  return w;
}

void waiter_list::remove(waiter& w) noexcept {
  if (!w.linked) return;
  if (w.prev != nullptr) {
    w.prev->next = w.next;
  } else {
    head_ = w.next;
  }
  if (w.next != nullptr) {
    w.next->prev = w.prev;
  } else {
    tail_ = w.prev;
  }
  w.next = w.prev = nullptr;
  w.linked = false;
}

waiter* waiter_list::take_all() noexcept {
  waiter* first = head_;
  for (waiter* w = first; w != nullptr; w = w->next) w->linked = false;
  head_ = tail_ = nullptr;
  return first;
}

void wake_chain(waiter* first) noexcept {
  std::uint64_t signal = 0;  // one signal point for all of them, taken when first wanted
  bool taken = false;
  while (first != nullptr) {
    waiter* next = first->next;  // read before waking: the waiter may be gone after
    if (!taken && first->trace.wants_signal() && tracing::on()) {
      signal = tracing::signal_point();
      taken = true;
    }
    first->wake_after(signal);
    first = next;
  }
}

}  // namespace brigade::detail
