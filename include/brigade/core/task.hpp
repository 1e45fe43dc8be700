// brigade::task<T> — a lazy C++20 coroutine that produces a T (or an exception).
//
// A task does nothing until it is awaited (`co_await t`) or started by sync_wait, when_all,
// a scope or an event loop. Awaiting transfers control symmetrically (no stack growth however
// deep the chain of co_awaits), the result or exception travels to the awaiter, and the
// awaiter's stop token (cancellation) is inherited by the task.
#pragma once

#include <brigade/core/detail/frame_cache.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <variant>

namespace brigade {

template <class T = void>
class task;

namespace detail {

/// Where a detached task (started by a scope and never awaited) reports its end: its frame is
/// destroyed first, then finished() hears how it ended and says what to resume next.
class detached_owner {
 public:
  virtual std::coroutine_handle<> finished(std::exception_ptr error) noexcept = 0;

 protected:
  ~detached_owner() = default;
};

/// What every brigade coroutine promise has: who to resume when done (or, for a detached task,
/// whom to tell), the exception if any, and the stop token that cancellation requests arrive
/// through.
class promise_base {
 public:
  // Frames come from the thread's pages of frames (frame_cache.hpp): a coroutine started for
  // every request reuses the block the last one of its size freed, instead of a malloc and a free.
  static void* operator new(std::size_t n) { return allocate_frame(n); }
  static void operator delete(void* p, std::size_t n) noexcept { free_frame(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      promise_base& p = h.promise();
      const std::uintptr_t next = p.next_;
      if ((next & detached_tag) != 0) {  // nobody awaits it: it frees itself
        auto* owner = reinterpret_cast<detached_owner*>(next & ~detached_tag);
        std::exception_ptr error = std::move(p.error_);
        h.destroy();
        return owner->finished(std::move(error));
      }
      if (next == 0) return std::noop_coroutine();
      // Symmetric transfer back to the awaiter.
      return std::coroutine_handle<>::from_address(reinterpret_cast<void*>(next));
    }
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() noexcept { return {}; }

  void unhandled_exception() noexcept { error_ = std::current_exception(); }

  const std::stop_token& stop_token() const noexcept { return stop_; }
  void set_stop_token(std::stop_token t) noexcept { stop_ = std::move(t); }
  void set_continuation(std::coroutine_handle<> c) noexcept {
    next_ = reinterpret_cast<std::uintptr_t>(c.address());
  }
  /// Makes this a detached task: at its end the frame is destroyed and `owner` told.
  void detach_to(detached_owner& owner) noexcept {
    next_ = reinterpret_cast<std::uintptr_t>(&owner) | detached_tag;
  }

 protected:
  void rethrow_if_failed() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Who hears of the end, in one word (a task is awaited or detached, never both): the
  // awaiting coroutine's frame address, or a detached task's owner (scope::spawn) with its low
  // bit set (both are aligned to at least 2), or 0 for nobody (a noop_coroutine continuation).
  static constexpr std::uintptr_t detached_tag = 1;
  static_assert(alignof(detached_owner) >= 2);
  std::uintptr_t next_ = 0;
  std::exception_ptr error_;
  std::stop_token stop_;
};

/// The stop token of the coroutine whose promise is P, or an empty token.
template <class P>
std::stop_token stop_token_of(std::coroutine_handle<P> h) noexcept {
  if constexpr (requires { h.promise().stop_token(); }) {
    return h.promise().stop_token();
  } else {
    return {};
  }
}

template <class T>
class task_promise final : public promise_base {
 public:
  task<T> get_return_object() noexcept;

  template <class U>
  requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    value_.template emplace<1>(std::forward<U>(v));
  }

  T take() {
    rethrow_if_failed();
    return std::move(std::get<1>(value_));
  }

 private:
  std::variant<std::monostate, T> value_;
};

template <>
class task_promise<void> final : public promise_base {
 public:
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() const { rethrow_if_failed(); }
};

}  // namespace detail

/// A lazy coroutine producing T. Move-only; owns its frame (destroying a task that never ran
/// frees the frame and everything its parameters hold).
///
/// Thread safety: a task is awaited once, by one awaiter. It may resume on another thread
/// than the one it started on (after `co_await pool.schedule()`, an I/O completion, ...).
/// Cancellation: the task inherits its awaiter's stop token; brigade's awaitables honour it.
/// Errors: an exception escaping the coroutine is rethrown by `co_await`.
template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using value_type = T;

  task() noexcept = default;
  task(task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      destroy();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() { destroy(); }

  /// True when this object holds a coroutine (not moved from or default constructed).
  explicit operator bool() const noexcept { return static_cast<bool>(h_); }

  /// Awaiting a task starts it (symmetric transfer) and resumes the awaiter when it is done;
  /// the result is taken and the frame freed, so the task is empty afterwards.
  class awaiter {
   public:
    explicit awaiter(task& t) noexcept : t_(t) {}
    bool await_ready() const noexcept { return t_.h_.done(); }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
      promise_type& p = t_.h_.promise();
      p.set_continuation(parent);
      if (!p.stop_token().stop_possible()) p.set_stop_token(detail::stop_token_of(parent));
      return t_.h_;
    }
    T await_resume() {
      struct free_frame {  // after the result (or the exception) has been taken out
        task& t;
        ~free_frame() { t.destroy(); }
      } after{t_};
      return t_.h_.promise().take();
    }

   private:
    task& t_;
  };
  /// Errors: std::logic_error for an empty task (moved from, default-constructed, or
  /// awaited already: a task is awaited once).
  awaiter operator co_await() && {
    if (!h_)
      throw std::logic_error(
          "brigade::task: co_await on an empty task (moved from, default-constructed, or "
          "awaited already: a task can be awaited once)");
    return awaiter{*this};
  }

  /// Internal: the coroutine handle (for starters such as sync_wait and when_all).
  std::coroutine_handle<promise_type> handle() const noexcept { return h_; }
  /// Internal: gives up the frame (for a starter that lets the task free itself, scope::spawn).
  std::coroutine_handle<promise_type> release() noexcept { return std::exchange(h_, {}); }

 private:
  friend promise_type;
  explicit task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}

  void destroy() noexcept {
    if (h_) std::exchange(h_, {}).destroy();
  }

  std::coroutine_handle<promise_type> h_;
};

namespace detail {

template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<task_promise>::from_promise(*this));
}

inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<task_promise>::from_promise(*this));
}

}  // namespace detail

/// Gives t a stop token of its own instead of inheriting its awaiter's: t (and what it awaits)
/// is cancelled when `token` is, which lets one child of many be stopped alone, e.g. one
/// connection of a server. Call it before t starts.
/// Errors: std::invalid_argument when t is empty.
template <class T>
task<T> with_stop_token(task<T> t, std::stop_token token) {
  if (!t) throw std::invalid_argument("brigade::with_stop_token: the task is empty");
  t.handle().promise().set_stop_token(std::move(token));
  return t;
}

/// Awaitables for the running coroutine's own state.
namespace this_task {

/// The awaiter behind this_task::stop_token: never suspends, reads the caller's promise.
class stop_token_awaiter {
 public:
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    token_ = detail::stop_token_of(h);
    return false;  // resume at once
  }
  std::stop_token await_resume() noexcept { return std::move(token_); }

 private:
  std::stop_token token_;
};

/// `co_await this_task::stop_token` gives the stop token of the calling coroutine.
struct stop_token_t {
  stop_token_awaiter operator co_await() const noexcept { return {}; }
};
inline constexpr stop_token_t stop_token{};

}  // namespace this_task

}  // namespace brigade
