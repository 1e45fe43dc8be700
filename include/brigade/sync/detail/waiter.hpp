// The waiting machinery every brigade sync primitive shares: a parker a thread sleeps on, and
// an intrusive waiter that is either a parked thread or a suspended coroutine. See
// src/sync/README.md for the wake-up policy.
#pragma once

#include <brigade/core/detail/atomic.hpp>
#include <brigade/core/detail/resume_context.hpp>
#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/pool/detail/job.hpp>

#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstdint>
#include <mutex>
#include <new>
#include <stop_token>

namespace brigade::detail {

/// A one-shot flag one thread waits on until another sets it: one futex word, so a sleep costs
/// one futex wait and a wake one futex wake (a mutex and condition variable cost up to twice as
/// many system calls, the woken thread often blocking again on the notifier's mutex).
class parker {
 public:
  parker() noexcept = default;
  parker(const parker&) = delete;
  parker& operator=(const parker&) = delete;

  /// Waits until notify(). `what`, `name` and `object` describe the wait in an "all chefs are
  /// asleep" report (deadlock_watch.hpp). The parker may be destroyed as soon as this returns.
  void wait(const char* what = "a brigade wait", const char* name = nullptr,
            const void* object = nullptr) noexcept;
  /// Waits until notify() or `deadline`; true when notified. After false, wait() may follow.
  bool wait_until(std::chrono::steady_clock::time_point deadline) noexcept;
  /// Sets the flag and wakes the waiter. The waiter may return (and destroy the parker) as soon
  /// as the flag is set, so notify() touches the parker's memory only in that one atomic
  /// exchange; the futex wake that may follow names the address without reading it (a wake that
  /// lands on a new futex user of that address is a spurious wake-up, which futex users expect).
  void notify() noexcept;

 private:
  static constexpr std::uint32_t idle = 0, notified = 1, sleeping = 2;
  // idle -> sleeping (the waiter, about to futex-wait) -> notified (the notifier); or straight
  // idle -> notified. Only a notifier that replaces `sleeping` makes the wake system call.
  atomic<std::uint32_t> state_{idle};
};

/// Blocking waits for an event (a permit, a value, a latch) are for plain threads. On a pool
/// worker they could wait for a job queued behind them, and running other jobs meanwhile
/// (helping) can deadlock on FIFO hand-off; on an event loop (or in a simulation) they would
/// stop every coroutine of that thread. There, this throws std::logic_error naming `what` and
/// the co_await form to use instead.
void check_may_block(const char* what, const char* instead);

/// The trace's record of one wait for another strand's signal (a permit, a latch, a barrier's
/// phase, a channel's value or room, a select): a sync_wait slice from where the waiting party
/// queued to where it runs again. Off (not recording), begin() is one relaxed load. The waiting
/// party begins it under the primitive's lock, just before it queues (once queued, a coroutine
/// may be woken and resume on another thread at once); it ends where that party runs again
/// (await_resume), or at the latest when it is destroyed (a thread's waiter, when the blocking
/// call returns). A wait that never queued records nothing.
///
/// A thread's wait is not work: begin() ends the thread's segment, and end() begins the next one
/// after it and after the segment that gave the signal (signalled(), by the waker before it
/// wakes the thread), so the trace's DAG has the hand-off as an edge. A coroutine's segments are
/// its resume context's business: the waker passes the signal to resume_later instead.
class sync_wait_trace {
 public:
  sync_wait_trace() noexcept = default;
  sync_wait_trace(const sync_wait_trace&) = delete;
  sync_wait_trace& operator=(const sync_wait_trace&) = delete;
  ~sync_wait_trace() { end(); }

  /// Starts the slice when recording, labelled `what` (a string that outlives the recording),
  /// or "name (what)" for a primitive with a name. `thread`: a blocked thread waits (not a
  /// suspended coroutine).
  void begin(const char* what, const char* name = nullptr, bool thread = false) noexcept {
    if (tracing::on()) [[unlikely]]
      begin_recorded(what, name, thread);
  }
  /// Whether the waker should mark where it gave the signal: this wait is recorded, or its owner
  /// expects one for a wait recorded elsewhere (a thread's select: one slice, many waiters).
  /// Read by the waker before it wakes the waiter it took off the primitive's queue (the lock
  /// it took it under orders this after the waiter's begin).
  bool wants_signal() const noexcept { return id_ != 0 || expected_; }
  void expect_signal() noexcept { expected_ = true; }
  /// The segment that gave the signal this wait ends with (the waker calls it, before waking).
  void signalled(std::uint64_t segment) noexcept { signal_ = segment; }
  std::uint64_t signal() const noexcept { return signal_; }
  /// Ends the slice, if one was begun (idempotent).
  void end() noexcept {
    if (id_ != 0) [[unlikely]]
      end_recorded();
  }

 private:
  void begin_recorded(const char* what, const char* name, bool thread) noexcept;
  void end_recorded() noexcept;
  std::uint64_t id_ = 0;      // the wait's id while its slice is open (0: none)
  std::uint64_t before_ = 0;  // a thread's segment that ended where it began waiting (0: none)
  std::uint64_t signal_ = 0;  // the waker's segment before the signal (0: none or not traced)
  bool expected_ = false;     // expect_signal() was called
};

/// The waiters one select() registers on several channels share a group: the first channel
/// to claim it delivers; the others skip its waiters.
struct select_group {
  // acq_rel: pairs between the claiming channels (and the selector's own timeout claim).
  atomic<int> winner{-1};
  static constexpr int timed_out = -2;
  bool claim(int index) noexcept {
    int none = -1;
    return winner.compare_exchange_strong(none, index, memory_order_acq_rel, memory_order_acquire);
  }
};

/// One waiting party, queued in a primitive's waiter_list under that primitive's lock.
/// Exactly one of `thread` (a parked thread) and `coro` (a suspended coroutine) is set.
struct waiter {
  waiter* next = nullptr;
  waiter* prev = nullptr;
  bool linked = false;
  parker* thread = nullptr;
  std::coroutine_handle<> coro;
  resume_context* context = nullptr;  // where coro resumes (captured when it suspended)
  // Primitive-specific payload: a value slot, a result flag.
  void* slot = nullptr;
  bool closed = false;
  select_group* group = nullptr;  // set for the waiters of a select()
  int index = 0;                  // this waiter's position in its select()
  // Cancellation (queued_cancel below), both guarded by the primitive's lock: `cancelled` when
  // a stop request took the waiter out of the queue (it got nothing); `cancel_requested` when
  // the request came while the waiter was not queued (before queueing: do not queue; after a
  // hand-off: too late, ignored).
  bool cancelled = false;
  bool cancel_requested = false;
  sync_wait_trace trace;  // tracing: begun by primitives that report their waits

  /// Tracing: the wait begins (see sync_wait_trace::begin); call it just before queueing.
  void trace_begin(const char* what, const char* name) noexcept {
    trace.begin(what, name, thread != nullptr);
  }

  /// Whether this waiter may be completed: always, unless another channel of its select()
  /// won (then it must be skipped).
  bool claim() noexcept { return group == nullptr || group->claim(index); }
  // A coroutine woken on a pool worker without a resume context is queued as this job.
  struct resume_job final : job {
    resume_job() noexcept : job(&run_it) {}
    std::coroutine_handle<> h;
    static void run_it(job& j) noexcept { static_cast<resume_job&>(j).h.resume(); }
  } job_;

  /// Records the calling coroutine (and the calling thread's resume context) as the waiter.
  void set_coroutine(std::coroutine_handle<> h) noexcept {
    coro = h;
    context = current_resume_context();
  }
  /// Wakes the waiter. Call it after releasing the primitive's lock: a coroutine may resume
  /// inline. The waiter may be gone as soon as this returns. When its wait is recorded, the
  /// waking thread's segment ends here and the waiter's next one follows it
  /// (tracing::signal_point).
  void wake() noexcept {
    wake_after(tracing::on() && trace.wants_signal() ? tracing::signal_point() : 0);
  }
  /// wake(), with the signal's segment already taken (one for a whole chain of waiters).
  void wake_after(std::uint64_t signal) noexcept;
};

/// A FIFO of waiters. Not thread-safe: guarded by the owning primitive's lock.
class waiter_list {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  waiter* front() const noexcept { return head_; }
  void push_back(waiter& w) noexcept;
  waiter* pop_front() noexcept;
  void remove(waiter& w) noexcept;
  /// Moves all waiters to the returned chain (linked by next); the list becomes empty.
  waiter* take_all() noexcept;

 private:
  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
};

/// A stop request for a waiter of a hand-off primitive. Arm it before queueing the waiter;
/// the callback takes `mu` and, if the waiter is still queued, removes it, marks it cancelled
/// and wakes it; if not, marks cancel_requested (the primitive's enqueue must then refuse to
/// queue it, setting `cancelled`). Whoever takes the waiter off the list under `mu` decides:
/// a hand-off and a cancellation never both happen. Disarm before reading the outcome:
/// std::stop_callback's destructor waits for a callback running on another thread.
class queued_cancel {
 public:
  queued_cancel() noexcept = default;
  queued_cancel(const queued_cancel&) = delete;
  queued_cancel& operator=(const queued_cancel&) = delete;
  ~queued_cancel() { disarm(); }

  void arm(std::stop_token token, waiter& w, waiter_list& list, std::mutex& mu) {
    if (!token.stop_possible()) return;
    ::new (static_cast<void*>(cb_)) callback(std::move(token), fn{&w, &list, &mu});
    armed_ = true;
  }
  void disarm() noexcept {
    if (!armed_) return;
    std::launder(reinterpret_cast<callback*>(cb_))->~callback();
    armed_ = false;
  }

 private:
  struct fn {
    waiter* w;
    waiter_list* list;
    std::mutex* mu;
    void operator()() const noexcept;
  };
  using callback = std::stop_callback<fn>;
  // The callback, alive while armed_ says so. Not an std::optional: g++ -O3 mistook its
  // disengaged payload for a read of uninitialized memory (-Wmaybe-uninitialized) where a
  // queued_cancel lives on the stack (wait_until_or_unqueue).
  alignas(callback) unsigned char cb_[sizeof(callback)];
  bool armed_ = false;
};

/// Wakes a chain returned by take_all() (or built by the caller through `next`).
void wake_chain(waiter* first) noexcept;

/// A thread's timed wait, for primitives that complete (hand over to) their waiters: sleeps on
/// p until notified or `deadline`. On a timeout it takes `mu` (the primitive's lock, guarding
/// `list`) and leaves `list` if still queued: false. If it is no longer queued, the waker
/// already completed it and its notify is on the way: it waits for that, and returns true.
/// With `stop` (may be null), a stop request ends the wait like a timeout: false, unless the
/// waiter was completed first. time_point::max() waits without a deadline.
bool wait_until_or_unqueue(parker& p, waiter& w, waiter_list& list, std::mutex& mu,
                           std::chrono::steady_clock::time_point deadline,
                           const std::stop_token* stop = nullptr) noexcept;

}  // namespace brigade::detail
