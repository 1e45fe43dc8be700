// The machinery shared by when_all, when_any and scope: child coroutines that run a task,
// store its outcome, and resume whoever waits when the last one is done.
#pragma once

#include <brigade/core/detail/atomic.hpp>
#include <brigade/core/errors.hpp>
#include <brigade/core/task.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <mutex>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace brigade::detail {

/// The value a task<T> yields, with void as std::monostate so it can be stored.
template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// Counts a group of children plus the parent; resumes the parent after the last arrival.
/// Also the group's stop source and its first (or winning) outcome.
class fan_in {
 public:
  static constexpr std::size_t no_winner = static_cast<std::size_t>(-1);

  explicit fan_in(std::size_t children, bool first_wins) noexcept
      : remaining_(children + 1), first_wins_(first_wins) {}

  std::stop_token token() const noexcept { return stop_.get_token(); }
  void request_stop() noexcept { stop_.request_stop(); }

  /// The parent, after starting every child: true if it must suspend (a child will resume it).
  bool parent_arrives(std::coroutine_handle<> parent) noexcept {
    parent_ = parent;
    // acq_rel: the parent's write of parent_ is seen by the last child (it reads after its own
    // acq_rel decrement); the children's results are seen by the parent if it is last.
    return remaining_.fetch_sub(1, memory_order_acq_rel) != 1;
  }

  /// A child is done: returns the parent to resume if it was the last, else noop.
  std::coroutine_handle<> child_arrives() noexcept {
    if (remaining_.fetch_sub(1, memory_order_acq_rel) == 1) return parent_;
    return std::noop_coroutine();
  }

  /// A child finished; `error` is its exception or null. when_all: the first failure is kept
  /// and stops the siblings. when_any: the first arrival wins, whatever it is, and stops them.
  void child_finished(std::size_t index, std::exception_ptr error) noexcept {
    if (first_wins_) {
      std::size_t none = no_winner;
      // Relaxed is enough for the CAS: the winner's result is published by child_arrives().
      if (winner_.compare_exchange_strong(none, index, memory_order_relaxed)) {
        error_ = std::move(error);
        stop_.request_stop();
      }
      return;
    }
    if (!error) return;
    {
      std::lock_guard lock(mu_);
      if (!error_) error_ = std::move(error);
    }
    stop_.request_stop();
  }

  std::size_t winner() const noexcept { return winner_.load(memory_order_relaxed); }
  void rethrow_if_failed() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  atomic<std::size_t> remaining_;
  atomic<std::size_t> winner_{no_winner};
  bool first_wins_;
  std::coroutine_handle<> parent_;
  std::stop_source stop_;
  std::mutex mu_;
  std::exception_ptr error_;
};

/// A child coroutine of a fan_in: started by the parent, suspended at its end until the
/// parent destroys it.
class fan_in_child {
 public:
  struct promise_type {
    fan_in* owner = nullptr;
    fan_in_child get_return_object() noexcept {
      return fan_in_child{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct final_awaiter {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        return h.promise().owner->child_arrives();
      }
      void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // bodies catch everything
    std::stop_token stop_token() const noexcept { return owner->token(); }
  };

  explicit fan_in_child(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  fan_in_child(fan_in_child&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  fan_in_child& operator=(fan_in_child&&) = delete;
  ~fan_in_child() {
    if (h_) h_.destroy();
  }

  void start(fan_in& owner) noexcept {
    h_.promise().owner = &owner;
    h_.resume();
  }

 private:
  std::coroutine_handle<promise_type> h_;
};

/// Runs t and stores its value in slot, reporting the outcome to the fan_in.
template <class T>
fan_in_child run_child(task<T> t, std::optional<stored_t<T>>& slot, std::size_t index, fan_in& in) {
  std::exception_ptr error;
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
      slot.emplace();
    } else {
      slot.emplace(co_await std::move(t));
    }
  } catch (...) {
    error = std::current_exception();
  }
  in.child_finished(index, std::move(error));
}

/// `co_await start_children{...}`: starts every child, then suspends the parent until the last
/// child is done (or continues at once if they all finished synchronously).
template <class Children>
struct start_children {
  fan_in& in;
  Children& children;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> parent) noexcept {
    for (auto& c : children) c.start(in);
    return in.parent_arrives(parent);
  }
  void await_resume() const noexcept {}
};

}  // namespace brigade::detail
