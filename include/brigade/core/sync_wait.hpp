// brigade::sync_wait — run a task from plain (non-coroutine) code and block until it is done.
#pragma once

#include <brigade/core/task.hpp>

#include <condition_variable>
#include <coroutine>
#include <exception>
#include <mutex>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <variant>

namespace brigade {
namespace detail {

/// A one-shot flag a plain thread sleeps on until a coroutine sets it.
class blocking_event {
 public:
  void set() noexcept {
    // Notify under the lock: the waiter cannot return (and free us) before we release it.
    std::lock_guard lock(mu_);
    set_ = true;
    cv_.notify_one();
  }
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

/// The coroutine sync_wait runs: awaits the task, then sets the event from its final suspend.
class sync_wait_root {
 public:
  struct promise_type {
    blocking_event* event = nullptr;
    std::stop_token stop;
    sync_wait_root get_return_object() noexcept {
      return sync_wait_root{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    auto final_suspend() noexcept {
      struct setter {
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<promise_type> h) noexcept {
          h.promise().event->set();
        }
        void await_resume() const noexcept {}
      };
      return setter{};
    }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // the body catches everything
    const std::stop_token& stop_token() const noexcept { return stop; }
  };

  explicit sync_wait_root(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  sync_wait_root(sync_wait_root&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  sync_wait_root& operator=(sync_wait_root&&) = delete;
  ~sync_wait_root() {
    if (h_) h_.destroy();
  }

  void run(blocking_event& ev, std::stop_token stop) {
    h_.promise().event = &ev;
    h_.promise().stop = std::move(stop);
    h_.resume();
    ev.wait();
  }

 private:
  std::coroutine_handle<promise_type> h_;
};

template <class T>
sync_wait_root sync_wait_body(
    task<T>& t,
    std::variant<std::monostate, std::conditional_t<std::is_void_v<T>, std::monostate, T>,
                 std::exception_ptr>& out) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
      out.template emplace<1>();
    } else {
      out.template emplace<1>(co_await std::move(t));
    }
  } catch (...) {
    out.template emplace<2>(std::current_exception());
  }
}

}  // namespace detail

/// Starts t on the calling thread, blocks until it completes, and returns its result (or
/// rethrows its exception). The task runs inline until its first suspension; it is then
/// resumed wherever its awaitables complete (an event loop, a pool), while this thread sleeps.
///
/// Blocking: never call it from an event loop's thread or a pool worker whose help the task
/// needs — that thread would wait for itself. `stop` becomes the task's stop token.
template <class T>
T sync_wait(task<T> t, std::stop_token stop = {}) {
  std::variant<std::monostate, std::conditional_t<std::is_void_v<T>, std::monostate, T>,
               std::exception_ptr>
      out;
  detail::blocking_event done;
  detail::sync_wait_body(t, out).run(done, std::move(stop));
  if (out.index() == 2) std::rethrow_exception(std::get<2>(out));
  if constexpr (!std::is_void_v<T>) return std::move(std::get<1>(out));
}

}  // namespace brigade
