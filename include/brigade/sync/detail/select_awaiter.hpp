// The machinery of the coroutine select(): the awaiter that races channel branches and a timer,
// and the two small child coroutines that report a win back to it.
#pragma once

#include <brigade/core/detail/atomic.hpp>
#include <brigade/core/errors.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/timer.hpp>
#include <brigade/sync/channel.hpp>
#include <brigade/sync/detail/waiter.hpp>

#include <algorithm>
#include <array>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace brigade {

/// A select() branch that wins once its deadline has passed on the current context's clock.
/// Made by brigade::after(d).
struct after_branch {
  static constexpr int select_kind = 2;
  std::int64_t deadline_ns = 0;
};

namespace detail {

/// What one coroutine select() shares with its helpers: the claim, and who is still to arrive
/// before the selecting coroutine continues.
///
/// Arrivals: await_suspend (1), the winner (1: the channel's notifier, the timer or the stop
/// callback, whichever claimed the group) and the timer coroutine when there is one (1). The
/// last one continues the select, so it never resumes while await_suspend or a helper still
/// touches it.
class select_core {
 public:
  static constexpr int cancelled = select_group::timed_out;

  select_group group;
  // acq_rel: each arrival publishes what it wrote (a received value, the claim) to the last
  // one, which continues the select and reads it.
  atomic<int> pending{2};
  waiter self;                  // the selecting coroutine (and the context it resumes on)
  std::stop_source timer_stop;  // stops the after() timer once another branch won
  bool timer_won = false;       // written by the timer coroutine only, before its arrival

  /// True when this arrival (of `n`) was the last.
  bool arrive(int n) noexcept { return pending.fetch_sub(n, memory_order_acq_rel) == n; }
  std::coroutine_handle<> arrive_then(int n) noexcept {
    return arrive(n) ? self.coro : std::noop_coroutine();
  }
};

/// A helper coroutine of select(): started lazily, reports to its core at its end.
class select_child {
 public:
  struct promise_type {
    select_core* core = nullptr;
    bool timer = false;
    select_child get_return_object() noexcept {
      return select_child{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct final_awaiter {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        select_core& c = *h.promise().core;
        if (!h.promise().timer) {  // the notifier: a channel claimed and completed a branch
          c.timer_stop.request_stop();
          return c.arrive_then(1);
        }
        return c.arrive_then(c.timer_won ? 2 : 1);
      }
      void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // bodies catch everything
    std::stop_token stop_token() const noexcept { return core->timer_stop.get_token(); }
  };

  select_child() noexcept = default;
  explicit select_child(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  select_child(select_child&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  select_child& operator=(select_child&& o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  ~select_child() {
    if (h_) h_.destroy();
  }
  std::coroutine_handle<promise_type> handle() const noexcept { return h_; }

 private:
  std::coroutine_handle<promise_type> h_;
};

/// Resumed (once) by the channel whose branch won: continues the select.
inline select_child select_notifier() {
  co_return;
}

/// Sleeps until the deadline (stopped when another branch wins); claims the group if it wakes.
inline select_child select_timer(select_core& core, int index, std::int64_t deadline_ns) {
  try {
    co_await timer_on_current_context(deadline_ns, "after");
    if (core.group.claim(index)) {
      core.timer_stop.request_stop();  // nothing left to stop, but keeps the rule simple
      core.timer_won = true;
    }
  } catch (const operation_cancelled&) {  // another branch won
  }
}

inline std::size_t select_start(std::size_t n) noexcept {
  // Rotating the first channel tried keeps one busy channel from starving the others.
  static thread_local std::size_t next = 0;
  return next++ % n;
}

template <class B>
struct branch_value {
  using type = std::monostate;  // send, after
};
template <class B>
requires(B::select_kind == 0) struct branch_value<B> {
  using type = decltype(std::declval<B&>().await_resume());  // std::optional<T>
};

template <class B>
concept select_branch = requires {
  B::select_kind;
};

/// `co_await select(branches...)`. Not movable: created and awaited in place.
template <class... B>
class select_awaiter {
  static constexpr std::size_t n = sizeof...(B);
  static_assert(n > 0, "brigade::select needs at least one branch");
  static_assert(((B::select_kind == 2 ? 1 : 0) + ...) <= 1, "brigade::select: one after() at most");

 public:
  using result_type = std::variant<typename branch_value<B>::type...>;

  explicit select_awaiter(B&&... b) : branches_(std::move(b)...) {}
  select_awaiter(const select_awaiter&) = delete;
  select_awaiter& operator=(const select_awaiter&) = delete;

  bool await_ready() const noexcept { return false; }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    core_.self.set_coroutine(h);
    std::stop_token stop = stop_token_of(h);
    if (stop.stop_requested()) {
      core_.group.winner.store(select_core::cancelled, memory_order_relaxed);  // only ours
      return false;
    }
    if (has_after() && !(core_.self.context != nullptr && core_.self.context->has_timers()) &&
        event_loop::current() == nullptr)
      throw std::logic_error(
          "brigade::select: after() needs an event loop or a simulation (no timers here)");
    collect_locks();
    // Before the first lock: a stop racing the checks below is decided under the locks.
    if (stop.stop_possible()) cancel_.emplace(std::move(stop), canceller{this});
    std::array<waiter*, 2> wake{};
    bool won = false;
    {
      // Unlocked however the block ends: a queue that cannot grow (bad_alloc) or a timer that
      // cannot start throws out of await_suspend (into the coroutine) with nothing queued, and
      // must not leave the channels locked.
      lock_all();
      struct unlocker {
        select_awaiter* self;
        ~unlocker() { self->unlock_all(); }
      } unlock{this};
      if (core_.group.winner.load(memory_order_acquire) == -1) {
        // Nobody can claim us while every channel is locked and no waiter of ours is queued
        // (the stop callback takes the same locks), so a ready branch wins outright.
        const std::size_t start = select_start(n);
        for (std::size_t step = 0; step < n && !won; ++step) {
          const std::size_t k = (start + step) % n;
          won = for_branch(
              k, [&](auto& b, auto idx) { return try_now<decltype(idx)::value>(b, wake); });
          if (won) core_.group.claim(static_cast<int>(k));
        }
        if (!won) {
          if (has_after()) start_timer();
          core_.self.trace_begin("select", nullptr);  // before the first waiter is queued
          for (std::size_t k = 0; k < n; ++k)
            for_branch(k, [&](auto& b, auto idx) { return enqueue<decltype(idx)::value>(b); });
        }
      }
    }
    for (waiter* w : wake)
      if (w != nullptr) w->wake();
    return !core_.arrive(won ? 2 : 1);
  }

  result_type await_resume() {
    core_.self.trace.end();
    cancel_.reset();  // waits for a stop callback running on another thread
    for (std::size_t k = 0; k < n; ++k)
      for_branch(k, [&](auto& b, auto idx) { return dequeue<decltype(idx)::value>(b); });
    const int winner = core_.group.winner.load(memory_order_acquire);  // pairs with claim()
    if (winner == select_core::cancelled) throw operation_cancelled();
    std::optional<result_type> r;
    for_branch(static_cast<std::size_t>(winner), [&](auto& b, auto idx) {
      take<decltype(idx)::value>(b, r);
      return true;
    });
    return std::move(*r);
  }

 private:
  struct canceller {
    select_awaiter* self;
    void operator()() const noexcept {
      self->lock_all();
      const bool won = self->core_.group.claim(select_core::cancelled);
      self->unlock_all();
      if (!won) return;
      self->core_.timer_stop.request_stop();
      if (self->core_.arrive(1)) self->core_.self.wake();
    }
  };

  static constexpr bool has_after() noexcept { return ((B::select_kind == 2) || ...); }

  template <class F>
  bool for_branch(std::size_t k, F&& f) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      bool r = false;
      ((k == I ? (r = f(std::get<I>(branches_), std::integral_constant<std::size_t, I>{}), 0) : 0),
       ...);
      return r;
    }
    (std::index_sequence_for<B...>{});
  }

  void collect_locks() {
    for (std::size_t k = 0; k < n; ++k)
      for_branch(k, [&](auto& b, auto) {
        using branch = std::remove_reference_t<decltype(b)>;
        if constexpr (branch::select_kind != 2) {
          std::mutex* m = select_access<typename branch::value_type>::mutex_of(b);
          if (std::find(locks_.begin(), locks_.begin() + nlocks_, m) == locks_.begin() + nlocks_)
            locks_[nlocks_++] = m;
        }
        return true;
      });
    // One global order (by address) for every select: two selects over the same channels
    // cannot deadlock.
    std::sort(locks_.begin(), locks_.begin() + nlocks_);
  }
  void lock_all() noexcept {
    for (std::size_t i = 0; i < nlocks_; ++i) locks_[i]->lock();
  }
  void unlock_all() noexcept {
    for (std::size_t i = nlocks_; i > 0; --i) locks_[i - 1]->unlock();
  }

  template <std::size_t I, class Branch>
  bool try_now(Branch& b, std::array<waiter*, 2>& wake) {
    if constexpr (Branch::select_kind == 2) {
      return false;  // the timer decides
    } else {
      return select_access<typename Branch::value_type>::complete_now(b, wake);
    }
  }

  template <std::size_t I, class Branch>
  bool enqueue(Branch& b) {
    if constexpr (Branch::select_kind != 2) {
      waiter& w = select_access<typename Branch::value_type>::waiter_of(b);
      w.coro = notifier_.handle();
      w.context = core_.self.context;
      // The notifier's step continues the select: it follows the winning channel's signal.
      if (core_.self.trace.wants_signal()) w.trace.expect_signal();
      w.group = &core_.group;
      w.index = static_cast<int>(I);
      select_access<typename Branch::value_type>::enqueue(b);
    }
    return true;
  }

  template <std::size_t I, class Branch>
  bool dequeue(Branch& b) {
    if constexpr (Branch::select_kind != 2) select_access<typename Branch::value_type>::dequeue(b);
    return true;
  }

  template <std::size_t I, class Branch>
  void take(Branch& b, std::optional<result_type>& r) {
    if constexpr (Branch::select_kind == 0) {
      r.emplace(std::in_place_index<I>, select_access<typename Branch::value_type>::value_of(b));
    } else {
      if constexpr (Branch::select_kind == 1)
        if (select_access<typename Branch::value_type>::waiter_of(b).closed) throw channel_closed();
      r.emplace(std::in_place_index<I>);
    }
  }

  void start_timer() {
    for (std::size_t k = 0; k < n; ++k)
      for_branch(k, [&](auto& b, auto idx) {
        if constexpr (std::remove_reference_t<decltype(b)>::select_kind == 2) {
          timer_ = select_timer(core_, static_cast<int>(decltype(idx)::value), b.deadline_ns);
          timer_.handle().promise().core = &core_;
          timer_.handle().promise().timer = true;
          core_.pending.fetch_add(1, memory_order_relaxed);  // before it can arrive
          timer_.handle().resume();                          // runs until it waits for the deadline
        }
        return true;
      });
  }

  std::tuple<B...> branches_;
  select_core core_;
  std::array<std::mutex*, n> locks_{};
  std::size_t nlocks_ = 0;
  select_child notifier_ = make_notifier();
  select_child timer_;
  std::optional<std::stop_callback<canceller>> cancel_;

  select_child make_notifier() {
    select_child c = select_notifier();
    c.handle().promise().core = &core_;
    return c;
  }
};

}  // namespace detail
}  // namespace brigade
