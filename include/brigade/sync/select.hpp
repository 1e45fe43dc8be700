// brigade::select — wait for the first of several channels to deliver a value (or close).
//
//   brigade::channel<int> numbers;
//   brigade::channel<std::string> words;
//   auto r = brigade::select(numbers, words);          // blocks until one is ready
//   if (r.index == 0) use(std::get<0>(r.value));       // std::optional<int>: empty = closed
//   auto maybe = brigade::select_for(100ms, numbers, words);  // empty optional on timeout
//
// In a coroutine, select over operations instead (any mix of receives, sends and one after()):
//   auto r = co_await brigade::select(numbers.receive(), words.send("hi"), brigade::after(50ms));
//   if (r.index() == 0) use(std::get<0>(r));            // std::optional<int>
//   else if (r.index() == 2) ...                          // 50 ms passed, nothing happened
// The channel-taking forms block the thread (plain threads only); the operation-taking form
// is awaited and works on event loops, pool workers and in the simulator.
#pragma once

#include <brigade/sync/channel.hpp>
#include <brigade/sync/detail/select_awaiter.hpp>
#include <brigade/sync/detail/waiter.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace brigade {

/// Which channel select() took from (`index`, in argument order) and what it got: the value,
/// or an empty optional when that channel was closed and drained.
template <class... T>
struct select_result {
  std::size_t index;
  std::variant<std::optional<T>...> value;
};

namespace detail {

/// select()'s view of a channel's insides.
template <class T>
class select_access {
 public:
  enum outcome { registered, took, lost };
  // Under c's lock: takes at once if c has a value or is closed and the group is still
  // unclaimed (took), stops if another channel claimed it already (lost), else queues w.
  static outcome take_or_register(channel<T>& c, std::optional<T>& out, waiter& w) {
    waiter* wake = nullptr;
    outcome result = registered;
    {
      std::lock_guard lock(c.mu_);
      const bool ready = !c.buffer_.empty() || c.has_live_sender() || c.closed_;
      if (!ready) {
        w.slot = &out;
        c.receivers_.push_back(w);
      } else if (w.group->claim(w.index)) {
        result = took;
        if (!c.receive_locked(out, wake)) {
          // The live sender was a coroutine select() that completed elsewhere meanwhile. This
          // select is committed to c now: wait for its next value as a plain receiver.
          w.group = nullptr;
          w.slot = &out;
          c.receivers_.push_back(w);
          result = registered;
        }
      } else {
        result = lost;
      }
    }
    if (wake != nullptr) wake->wake();
    return result;
  }
  static void unregister(channel<T>& c, waiter& w) {
    std::lock_guard lock(c.mu_);
    c.receivers_.remove(w);
  }

  // For the coroutine select (detail/select_awaiter.hpp); under the channel's lock unless said.
  using receive_branch = typename channel<T>::receive_awaiter;
  using send_branch = typename channel<T>::send_awaiter;
  static std::mutex* mutex_of(receive_branch& b) noexcept { return &b.c_.mu_; }
  static std::mutex* mutex_of(send_branch& b) noexcept { return &b.c_.mu_; }
  static waiter& waiter_of(receive_branch& b) noexcept { return b.w_; }
  static waiter& waiter_of(send_branch& b) noexcept { return b.w_; }
  // Completes the branch now if it can (the waiter to wake goes in wake[0]): true if done.
  static bool complete_now(receive_branch& b, std::array<waiter*, 2>& wake) {
    channel<T>& c = b.c_;
    if (!c.buffer_.empty() || c.closed_) return c.receive_locked(b.out_, wake[0]);
    if (waiter* s = c.pop_sender()) {  // a rendezvous
      b.out_.emplace(std::move(*static_cast<T*>(s->slot)));
      wake[0] = s;
      return true;
    }
    return false;
  }
  static bool complete_now(send_branch& b, std::array<waiter*, 2>& wake) {
    if (b.c_.closed_) {
      b.w_.closed = true;  // the branch wins and throws channel_closed
      return true;
    }
    return b.c_.send_locked(b.v_, wake[0]);
  }
  static void enqueue(receive_branch& b) {
    b.w_.slot = &b.out_;
    b.c_.receivers_.push_back(b.w_);
  }
  static void enqueue(send_branch& b) {
    b.w_.slot = &b.v_;
    b.c_.senders_.push_back(b.w_);
  }
  // Takes its own lock.
  static void dequeue(receive_branch& b) {
    std::lock_guard lock(b.c_.mu_);
    b.c_.receivers_.remove(b.w_);
  }
  static void dequeue(send_branch& b) {
    std::lock_guard lock(b.c_.mu_);
    b.c_.senders_.remove(b.w_);
  }
  static std::optional<T> value_of(receive_branch& b) { return std::move(b.out_); }
};

template <class... T, std::size_t... I>
std::optional<select_result<T...>> select_impl(
    const std::chrono::steady_clock::time_point* deadline, std::index_sequence<I...>,
    channel<T>&... chs) {
  constexpr std::size_t n = sizeof...(T);
  select_group group;
  parker p;
  std::array<waiter, n> ws;
  std::tuple<std::optional<T>...> outs;
  const bool traced = tracing::on();
  for (std::size_t k = 0; k < n; ++k) {
    ws[k].thread = &p;
    ws[k].group = &group;
    ws[k].index = static_cast<int>(k);
    if (traced) ws[k].trace.expect_signal();  // the select's one slice is `trace` below
  }
  const std::size_t start = select_start(n);
  bool took = false;
  bool lost = false;
  for (std::size_t step = 0; step < n && !took && !lost; ++step) {
    const std::size_t k = (start + step) % n;
    auto visit = [&](auto& c, auto& out, waiter& w) {
      using access = select_access<typename std::remove_reference_t<decltype(c)>::value_type>;
      const auto r = access::take_or_register(c, out, w);
      took = r == access::took;
      lost = r == access::lost;
    };
    ((k == I ? (visit(chs, std::get<I>(outs), ws[I]), 0) : 0), ...);
  }
  // The wait, for the trace: it ends when select returns.
  sync_wait_trace trace;
  if (!took) {  // wait for the channel that claims us (it may have already)
    trace.begin("select", nullptr, true);
    if (deadline == nullptr) {
      p.wait();
    } else if (!p.wait_until(*deadline) && group.claim(select_group::timed_out)) {
      (select_access<T>::unregister(chs, ws[I]), ...);
      return std::nullopt;
    } else {
      p.wait();  // a channel claimed us: its notify is on the way (or already here)
    }
  }
  // Leave the other channels' queues (the winner already took its waiter out).
  (select_access<T>::unregister(chs, ws[I]), ...);
  const int winner = group.winner.load(memory_order_acquire);  // pairs with claim()
  if (winner >= 0) trace.signalled(ws[static_cast<std::size_t>(winner)].trace.signal());
  std::optional<select_result<T...>> r;
  ((winner == static_cast<int>(I)
        ? (r.emplace(
               select_result<T...>{I, std::variant<std::optional<T>...>(
                                          std::in_place_index<I>, std::move(std::get<I>(outs)))}),
           0)
        : 0),
   ...);
  return r;
}

}  // namespace detail

/// Waits until one of the channels has a value or is closed and drained, takes from it, and
/// says which (ties are broken by rotating the first channel looked at).
/// Blocking: sleeps until then; for plain threads (on a pool worker, an event loop or in a
/// simulation it throws std::logic_error).
template <class... T>
select_result<T...> select(channel<T>&... chs) {
  static_assert(sizeof...(T) > 0, "brigade::select needs at least one channel");
  detail::check_may_block("select", "co_await on one channel per task");
  return *detail::select_impl<T...>(nullptr, std::index_sequence_for<T...>{}, chs...);
}

/// select() waiting at most `d`; an empty optional on timeout (nothing was taken).
template <class Rep, class Period, class... T>
std::optional<select_result<T...>> select_for(std::chrono::duration<Rep, Period> d,
                                              channel<T>&... chs) {
  static_assert(sizeof...(T) > 0, "brigade::select_for needs at least one channel");
  detail::check_may_block("select_for", "co_await on one channel per task");
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::ceil<std::chrono::steady_clock::duration>(d);
  return detail::select_impl<T...>(&deadline, std::index_sequence_for<T...>{}, chs...);
}

/// `co_await select(ch1.receive(), ch2.send(v), after(50ms))`: the coroutine select (Go's
/// select, Tokio's select!). Waits until one branch can complete, completes exactly that one
/// and returns a std::variant whose index() is the winning branch and whose alternative is its
/// result: std::optional<T> for a receive (empty: closed and drained), std::monostate for a
/// send and for after(). The other branches are withdrawn: nothing leaves a channel for a
/// branch that lost, and a losing send's value is not delivered (it is dropped with the select).
///
/// Fairness: when several branches are ready at once the first one looked at wins, and the
/// first one looked at rotates from call to call; a waiting select is served like any waiting
/// sender or receiver (first come, first served on each channel).
/// Thread safety: the branches' channels may be used concurrently from anywhere; the select
/// itself is awaited once.
/// Memory ordering: as for the channel operation that won (a send happens-before the receive
/// that gets its value); the winner is decided by one acq_rel compare-exchange on the select's
/// group (see detail/waiter.hpp's select_group), and every party that completes or abandons
/// the select arrives on an acq_rel counter, whose last arrival continues the coroutine.
/// Cancellation: the awaiting coroutine's stop token; a stop request before any branch won
/// withdraws them all and throws operation_cancelled (a stop that loses to a branch changes
/// nothing: the branch's result is returned).
/// Works wherever the co_await forms of channel do (an event loop, a pool worker, the
/// simulator, a plain thread under sync_wait); after() needs timers: an event loop or a
/// simulation. Errors: channel_closed from a send branch whose channel is closed;
/// operation_cancelled; std::logic_error for after() with no timers.
template <class... B>
requires(detail::select_branch<std::remove_cvref_t<B>>&&...)
    detail::select_awaiter<std::remove_cvref_t<B>...> select(B&&... branches) {
  return detail::select_awaiter<std::remove_cvref_t<B>...>(
      std::remove_cvref_t<B>(std::forward<B>(branches))...);
}

/// A select() branch that wins once `d` has passed on the current context's clock
/// (brigade::now(): the event loop's, or virtual time under brigade::sim::run), counted from
/// this call. The timer is withdrawn when another branch wins.
template <class Rep, class Period>
after_branch after(std::chrono::duration<Rep, Period> d) noexcept {
  return after_branch{detail::after_ns(detail::context_now_ns(), d)};
}

}  // namespace brigade
