// brigade::channel<T> — a multi-producer multi-consumer queue between threads and coroutines.
//
//   brigade::channel<job> ch(64);          // bounded: senders wait while 64 are queued
//   co_await ch.send(j);                    // coroutine: suspends while full
//   while (auto j = co_await ch.receive())  // empty optional: closed and drained
//     handle(*j);
//   ch.close();
//
// Names: the plain verbs are the awaitables; blocking_send/blocking_receive put the calling
// thread to sleep; try_send/try_receive never block; try_*_for wait at most a duration.
// select() (select.hpp) waits on several channels at once. Every wait honours a stop token:
// the awaiting coroutine's for the co_await forms, an explicit one for the blocking forms.
#pragma once

#include <brigade/core/errors.hpp>
#include <brigade/core/task.hpp>
#include <brigade/sync/detail/waiter.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace brigade {

/// Thrown by a send on a closed channel (also by a sender still waiting when it closes).
class channel_closed : public std::logic_error {
 public:
  channel_closed() : std::logic_error("brigade::channel: send on a closed channel") {}
};

template <class T>
class channel;

namespace detail {
template <class T>
class select_access;
}

/// A FIFO channel with any number of senders and receivers.
///
/// Capacity: bounded (senders wait while `capacity` values are queued; 0 makes every send a
/// rendezvous with a receiver) or unbounded (the default constructor).
/// Close: close() stops sends (they throw channel_closed, as do senders still waiting for
/// room, whose values are not delivered); receivers first drain every value sent before, then
/// get an empty optional.
/// Fairness: waiting senders and receivers are served first come, first served; a value goes
/// straight from a sender to the longest-waiting receiver.
/// Thread safety: all members may be called concurrently.
/// Memory ordering: a send happens-before the receive that gets its value; close()
/// happens-before every receive that reports closed; a stop request happens-before the
/// operation_cancelled it causes. All of it through the channel's one internal mutex; the only
/// atomic read is select's claim word (select.hpp).
/// Blocking: blocking_send/blocking_receive and the timed variants put the calling thread to
/// sleep; they are for plain threads: on a pool worker, an event loop or in a simulation they
/// throw std::logic_error (use the co_await forms there). Coroutines waiting in `co_await
/// send()/receive()` resume on their resume context (the event loop or simulation they waited on),
/// else on the waking pool worker's pool as a job, else inline in the waking call.
/// Cancellation: `co_await send()/receive()` honour the awaiting coroutine's stop token, and
/// blocking_send/blocking_receive take one as an optional last argument. A stop request while
/// waiting takes the waiter out of the queue and fails the wait with operation_cancelled.
/// Cancellation and a hand-off are decided under the channel's lock, so exactly one happens:
/// either the value moved (the wait succeeds, even if a stop was requested meanwhile) or the
/// wait is cancelled, and then a send did not queue its value and a receive took nothing. A
/// stop requested before the wait starts cancels it at once (a ready value is not taken). A
/// coroutine cancelled while waiting resumes like a woken one, with request_stop() as the
/// waking call: on its resume context, else on the requesting pool worker's pool, else inline
/// inside request_stop() (so do not call it holding a lock the coroutine takes next).
/// Timed waits: the try_*_for variants, or brigade::timeout(d, ch.receive()) in a coroutine.
template <class T>
class channel {
 private:
  // Whether one wait was cancelled, guarded by mu_ (written by the canceller or, when stop was
  // requested before the wait started, by the waiting party itself).
  struct wait_state {
    bool decided = false;    // sent/received at once, or queued: the canceller must unqueue
    bool cancelled = false;  // the wait failed with operation_cancelled
  };

 public:
  using value_type = T;
  static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

  /// An unbounded channel.
  /// Errors: std::bad_alloc (the buffer, a std::deque, allocates when made).
  channel() : capacity_(unbounded) {}
  /// A channel holding at most `capacity` values (0: rendezvous; `unbounded`: no limit).
  /// `name` (a string that outlives the channel, or null) labels its waits in a trace
  /// ("name (channel receive)", "name (channel send)").
  explicit channel(std::size_t capacity, const char* name = nullptr)
      : capacity_(capacity), name_(name) {}
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;

  /// Sends v, sleeping while the channel is full. Errors: channel_closed.
  void blocking_send(T v) {
    detail::check_may_block("channel::blocking_send", "co_await ch.send(v)");
    detail::parker p;
    detail::waiter w;
    w.thread = &p;
    if (!send_or_queue(v, w)) return;
    p.wait();
    if (w.closed) throw channel_closed();
  }
  /// blocking_send that gives up when `stop` is requested: operation_cancelled, and v was not
  /// sent. Errors: channel_closed, operation_cancelled.
  void blocking_send(T v, std::stop_token stop) {
    detail::check_may_block("channel::blocking_send", "co_await ch.send(v)");
    if (stop.stop_requested()) throw operation_cancelled();
    detail::parker p;
    detail::waiter w;
    w.thread = &p;
    wait_state s;
    const std::stop_callback cancel(std::move(stop), [&] { cancel_wait(w, s, senders_); });
    if (send_or_queue(v, w, &s)) p.wait();
    if (s.cancelled) throw operation_cancelled();
    if (w.closed) throw channel_closed();
  }
  /// Sends v if there is room now (v is moved from only on success). Never blocks.
  /// Errors: channel_closed.
  template <class U>
  bool try_send(U&& v) {
    detail::waiter* wake = nullptr;
    {
      std::lock_guard lock(mu_);
      if (!send_locked(v, wake)) return false;
    }
    if (wake != nullptr) wake->wake();
    return true;
  }
  /// Sends v, waiting at most d for room; false on timeout (v not sent).
  template <class Rep, class Period>
  bool try_send_for(T v, std::chrono::duration<Rep, Period> d) {
    detail::check_may_block("channel::try_send_for", "co_await ch.send(v)");
    detail::parker p;
    detail::waiter w;
    w.thread = &p;
    if (!send_or_queue(v, w)) return true;
    if (!wait_or_unqueue(p, w, senders_, d)) return false;
    if (w.closed) throw channel_closed();
    return true;
  }

  /// The next value, sleeping while the channel is empty; empty once closed and drained.
  std::optional<T> blocking_receive() {
    detail::check_may_block("channel::blocking_receive", "co_await ch.receive()");
    std::optional<T> out;
    detail::parker p;
    detail::waiter w;
    w.thread = &p;
    if (receive_or_queue(out, w)) p.wait();
    return out;
  }
  /// blocking_receive that gives up when `stop` is requested: operation_cancelled, and nothing
  /// was taken. Errors: operation_cancelled.
  std::optional<T> blocking_receive(std::stop_token stop) {
    detail::check_may_block("channel::blocking_receive", "co_await ch.receive()");
    if (stop.stop_requested()) throw operation_cancelled();
    std::optional<T> out;
    detail::parker p;
    detail::waiter w;
    w.thread = &p;
    wait_state s;
    const std::stop_callback cancel(std::move(stop), [&] { cancel_wait(w, s, receivers_); });
    if (receive_or_queue(out, w, &s)) p.wait();
    if (s.cancelled) throw operation_cancelled();
    return out;
  }
  /// The next value if one is there now (empty otherwise, or when closed and drained; tell
  /// them apart with closed()). Never blocks.
  std::optional<T> try_receive() {
    std::optional<T> out;
    detail::waiter* wake = nullptr;
    {
      std::lock_guard lock(mu_);
      receive_locked(out, wake);
    }
    if (wake != nullptr) wake->wake();
    return out;
  }
  /// The next value, waiting at most d; empty on timeout or when closed and drained.
  template <class Rep, class Period>
  std::optional<T> try_receive_for(std::chrono::duration<Rep, Period> d) {
    detail::check_may_block("channel::try_receive_for", "co_await ch.receive()");
    std::optional<T> out;
    detail::parker p;
    detail::waiter w;
    w.thread = &p;
    if (receive_or_queue(out, w)) wait_or_unqueue(p, w, receivers_, d);
    return out;
  }

  /// The awaiter of `co_await ch.send(v)`. Movable until awaited (e.g. into brigade::timeout).
  class send_awaiter {
   public:
    send_awaiter(channel& c, T v) : c_(c), v_(std::move(v)) {}
    send_awaiter(send_awaiter&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
        : c_(o.c_), v_(std::move(o.v_)) {}
    send_awaiter& operator=(send_awaiter&&) = delete;
    using value_type = T;
    static constexpr int select_kind = 1;  // a send branch of a coroutine select()
    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
      w_.set_coroutine(h);
      std::stop_token stop = detail::stop_token_of(h);
      if (stop.stop_requested()) {
        s_.cancelled = true;  // nobody else knows of this wait yet
        return false;
      }
      // Registered before queueing: a stop racing the queueing is decided under the lock.
      if (stop.stop_possible()) cancel_.emplace(std::move(stop), canceller{this});
      return c_.send_or_queue(v_, w_, &s_);
    }
    void await_resume() {
      w_.trace.end();
      cancel_.reset();  // waits for a canceller running on another thread
      if (s_.cancelled) throw operation_cancelled();
      if (w_.closed) throw channel_closed();
    }

   private:
    friend class detail::select_access<T>;
    struct canceller {
      send_awaiter* self;
      void operator()() const noexcept {
        self->c_.cancel_wait(self->w_, self->s_, self->c_.senders_);
      }
    };
    channel& c_;
    T v_;
    detail::waiter w_;
    wait_state s_;
    std::optional<std::stop_callback<canceller>> cancel_;
  };
  /// `co_await ch.send(v)`: sends v, suspending while the channel is full.
  /// Cancellation: the awaiting coroutine's stop token (see the class comment); v is then not
  /// sent. Errors: channel_closed, operation_cancelled (thrown by the co_await).
  [[nodiscard]] send_awaiter send(T v) { return send_awaiter(*this, std::move(v)); }

  /// The awaiter of `co_await ch.receive()`. Movable until awaited.
  class receive_awaiter {
   public:
    explicit receive_awaiter(channel& c) noexcept : c_(c) {}
    receive_awaiter(receive_awaiter&& o) noexcept : c_(o.c_) {}
    receive_awaiter& operator=(receive_awaiter&&) = delete;
    using value_type = T;
    static constexpr int select_kind = 0;  // a receive branch of a coroutine select()
    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
      w_.set_coroutine(h);
      std::stop_token stop = detail::stop_token_of(h);
      if (stop.stop_requested()) {
        s_.cancelled = true;
        return false;
      }
      if (stop.stop_possible()) cancel_.emplace(std::move(stop), canceller{this});
      return c_.receive_or_queue(out_, w_, &s_);
    }
    std::optional<T> await_resume() {
      w_.trace.end();
      cancel_.reset();
      if (s_.cancelled) throw operation_cancelled();
      return std::move(out_);
    }

   private:
    friend class detail::select_access<T>;
    struct canceller {
      receive_awaiter* self;
      void operator()() const noexcept {
        self->c_.cancel_wait(self->w_, self->s_, self->c_.receivers_);
      }
    };
    channel& c_;
    std::optional<T> out_;
    detail::waiter w_;
    wait_state s_;
    std::optional<std::stop_callback<canceller>> cancel_;
  };
  /// `co_await ch.receive()`: the next value, suspending while empty; empty optional once
  /// the channel is closed and drained. Cancellation: the awaiting coroutine's stop token (see
  /// the class comment); nothing is taken then. Errors: operation_cancelled.
  [[nodiscard]] receive_awaiter receive() noexcept { return receive_awaiter(*this); }

  /// Closes the channel: wakes every waiting receiver (with "closed", once the queue is
  /// empty, which it is while any waits) and every waiting sender (which throws). Idempotent.
  void close() noexcept {
    detail::waiter* first = nullptr;
    detail::waiter* last = nullptr;
    auto append = [&](detail::waiter* w) {
      w->next = nullptr;
      (last != nullptr ? last->next : first) = w;
      last = w;
    };
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      while (detail::waiter* w = receivers_.pop_front())
        if (w->claim()) append(w);
      while (detail::waiter* w = senders_.pop_front()) {
        if (!w->claim()) continue;  // its select() completed elsewhere
        w->closed = true;
        append(w);
      }
    }
    detail::wake_chain(first);
  }
  bool closed() const noexcept {
    std::lock_guard lock(mu_);
    return closed_;
  }
  /// Values queued now (a snapshot).
  std::size_t size() const noexcept {
    std::lock_guard lock(mu_);
    return buffer_.size();
  }
  std::size_t capacity() const noexcept { return capacity_; }
  /// The name given at construction (null: none).
  const char* name() const noexcept { return name_; }

 private:
  friend class detail::select_access<T>;

  // A stop callback: cancels w if it still waits in `list` (then wakes it), or marks a wait
  // that has not reached the lock yet as cancelled (send_or_queue/receive_or_queue then give
  // up). A waiter no longer queued was handed its value already: nothing to do, it succeeds.
  void cancel_wait(detail::waiter& w, wait_state& s, detail::waiter_list& list) noexcept {
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      if (w.linked) {
        list.remove(w);
        s.cancelled = wake = true;
      } else if (!s.decided) {
        s.cancelled = true;
      }
    }
    if (wake) w.wake();  // the last touch of w: it may be gone after
  }

  // With mu_ held: delivers v to a waiting receiver (returned in `wake`) or queues it; false
  // when full. Throws channel_closed.
  template <class U>
  bool send_locked(U& v, detail::waiter*& wake) {
    if (closed_) throw channel_closed();
    while (detail::waiter* r = receivers_.pop_front()) {
      if (!r->claim()) continue;  // its select() completed elsewhere
      static_cast<std::optional<T>*>(r->slot)->emplace(std::move(v));
      wake = r;
      return true;
    }
    if (buffer_.size() >= capacity_) return false;
    buffer_.emplace_back(std::move(v));
    return true;
  }

  // With mu_ held: the longest-waiting sender that may still send (one whose select() completed
  // elsewhere is dropped), taken out of the queue; null when none.
  detail::waiter* pop_sender() noexcept {
    while (detail::waiter* s = senders_.pop_front())
      if (s->claim()) return s;
    return nullptr;
  }
  // With mu_ held: whether a queued sender may still send (no claim is made).
  bool has_live_sender() const noexcept {
    for (detail::waiter* s = senders_.front(); s != nullptr; s = s->next)
      // acquire: pairs with select_group::claim's acq_rel; a stale -1 is caught by the claim
      // that follows (pop_sender), which the caller handles.
      if (s->group == nullptr || s->group->winner.load(detail::memory_order_acquire) == -1)
        return true;
    return false;
  }

  // With mu_ held: takes the next value (refilling from a waiting sender, whose waiter is
  // returned in `wake`); true when done (a value, or closed and drained), false when empty.
  bool receive_locked(std::optional<T>& out, detail::waiter*& wake) {
    if (!buffer_.empty()) {
      out.emplace(std::move(buffer_.front()));
      buffer_.pop_front();
      if (detail::waiter* s = pop_sender()) {
        buffer_.emplace_back(std::move(*static_cast<T*>(s->slot)));
        wake = s;
      }
      return true;
    }
    if (detail::waiter* s = pop_sender()) {  // a rendezvous (capacity 0)
      out.emplace(std::move(*static_cast<T*>(s->slot)));
      wake = s;
      return true;
    }
    return closed_;
  }

  // Sends now (false) or queues w to wait for room (true). Throws channel_closed. With `s`:
  // false without sending when s was cancelled before the lock was taken.
  bool send_or_queue(T& v, detail::waiter& w, wait_state* s = nullptr) {
    detail::waiter* wake = nullptr;
    {
      std::lock_guard lock(mu_);
      if (s != nullptr) {
        if (s->cancelled) return false;
        s->decided = true;
      }
      if (!send_locked(v, wake)) {
        w.slot = &v;
        w.trace_begin("channel send", name_);
        senders_.push_back(w);
        return true;
      }
    }
    if (wake != nullptr) wake->wake();
    return false;
  }

  // Receives now (false) or queues w to wait for a value (true). With `s`: false without
  // receiving when s was cancelled before the lock was taken.
  bool receive_or_queue(std::optional<T>& out, detail::waiter& w, wait_state* s = nullptr) {
    detail::waiter* wake = nullptr;
    {
      std::lock_guard lock(mu_);
      if (s != nullptr) {
        if (s->cancelled) return false;
        s->decided = true;
      }
      if (!receive_locked(out, wake)) {
        w.slot = &out;
        w.trace_begin("channel receive", name_);
        receivers_.push_back(w);
        return true;
      }
    }
    if (wake != nullptr) wake->wake();
    return false;
  }

  // Waits for w to be completed, at most d; false when it timed out (and is unqueued).
  template <class Rep, class Period>
  bool wait_or_unqueue(detail::parker& p, detail::waiter& w, detail::waiter_list& list,
                       std::chrono::duration<Rep, Period> d) {
    return detail::wait_until_or_unqueue(
        p, w, list, mu_,
        std::chrono::steady_clock::now() +
            std::chrono::ceil<std::chrono::steady_clock::duration>(d));
  }

  mutable std::mutex mu_;  // guards everything below
  std::deque<T> buffer_;
  const std::size_t capacity_;
  const char* const name_ = nullptr;
  bool closed_ = false;
  detail::waiter_list senders_;    // slot: T* (the value to send)
  detail::waiter_list receivers_;  // slot: std::optional<T>* (where to put the value)
};

}  // namespace brigade
