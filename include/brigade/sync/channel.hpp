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
// select() (select.hpp) waits on several channels at once.
#pragma once

#include <brigade/sync/detail/waiter.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
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
/// happens-before every receive that reports closed.
/// Blocking: blocking_send/blocking_receive and the timed variants put the calling thread to
/// sleep; they are for plain threads: on a pool worker, an event loop or in a simulation they
/// throw std::logic_error (use the co_await forms there). Coroutines waiting in `co_await
/// send()/receive()` resume on their resume context (the event loop or simulation they waited on),
/// else on the waking pool worker's pool as a job, else inline in the waking call. Cancellation:
/// waits are not cancellable; close() the channel or use the timed variants.
template <class T>
class channel {
 public:
  using value_type = T;
  static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

  /// An unbounded channel.
  channel() noexcept : capacity_(unbounded) {}
  /// A channel holding at most `capacity` values (0: rendezvous).
  explicit channel(std::size_t capacity) noexcept : capacity_(capacity) {}
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

  class send_awaiter {
   public:
    send_awaiter(channel& c, T v) : c_(c), v_(std::move(v)) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
      w_.set_coroutine(h);
      return c_.send_or_queue(v_, w_);
    }
    void await_resume() const {
      if (w_.closed) throw channel_closed();
    }

   private:
    channel& c_;
    T v_;
    detail::waiter w_;
  };
  /// `co_await ch.send(v)`: sends v, suspending while the channel is full.
  /// Errors: channel_closed (thrown by the co_await).
  [[nodiscard]] send_awaiter send(T v) { return send_awaiter(*this, std::move(v)); }

  class receive_awaiter {
   public:
    explicit receive_awaiter(channel& c) noexcept : c_(c) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
      w_.set_coroutine(h);
      return c_.receive_or_queue(out_, w_);
    }
    std::optional<T> await_resume() { return std::move(out_); }

   private:
    channel& c_;
    std::optional<T> out_;
    detail::waiter w_;
  };
  /// `co_await ch.receive()`: the next value, suspending while empty; empty optional once
  /// the channel is closed and drained.
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

 private:
  friend class detail::select_access<T>;

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

  // Sends now (false) or queues w to wait for room (true). Throws channel_closed.
  bool send_or_queue(T& v, detail::waiter& w) {
    detail::waiter* wake = nullptr;
    {
      std::lock_guard lock(mu_);
      if (!send_locked(v, wake)) {
        w.slot = &v;
        senders_.push_back(w);
        return true;
      }
    }
    if (wake != nullptr) wake->wake();
    return false;
  }

  // Receives now (false) or queues w to wait for a value (true).
  bool receive_or_queue(std::optional<T>& out, detail::waiter& w) {
    detail::waiter* wake = nullptr;
    {
      std::lock_guard lock(mu_);
      if (!receive_locked(out, wake)) {
        w.slot = &out;
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
  bool closed_ = false;
  detail::waiter_list senders_;    // slot: T* (the value to send)
  detail::waiter_list receivers_;  // slot: std::optional<T>* (where to put the value)
};

}  // namespace brigade
