// brigade::spawn — start a task that runs on its own, owned by the context that runs it.
//
//   brigade::sim::run(seed, [&]() -> brigade::task<> {
//     for (auto& m : moves) brigade::spawn(transfer(m));   // the seed picks when each starts
//     co_await brigade::sleep_for(1s);
//   });
//
// Where a task must be joined, or its failure reach a caller, use brigade::scope instead: it
// works on every executor. spawn is for the simulator, which waits for every spawned task,
// rethrows the first failure from sim::run, and destroys the stuck ones of a deadlock.
#pragma once

#include <brigade/core/detail/resume_context.hpp>
#include <brigade/core/task.hpp>

#include <coroutine>
#include <exception>
#include <stdexcept>
#include <utility>

namespace brigade {
namespace detail {

/// The wrapper around a spawned task: reports its end and its exception to its context.
class detached_task {
 public:
  struct promise_type {
    resume_context* ctx = nullptr;
    std::exception_ptr error;
    detached_task get_return_object() noexcept {
      return detached_task{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct final_awaiter {
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<promise_type> h) const noexcept {
        promise_type& p = h.promise();
        p.ctx->detached_done(h, std::move(p.error));  // destroys the frame
      }
      void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
  };
  std::coroutine_handle<promise_type> handle;
};

inline detached_task run_detached(task<void> t) {
  co_await std::move(t);
}

}  // namespace detail

/// Starts t concurrently on the current context, which owns it: under brigade::sim::run it
/// becomes runnable (the seed picks when it starts), and run() waits for it and rethrows the
/// first exception that escapes it.
/// Errors: std::logic_error naming the place when the current context keeps no detached tasks
/// (an event loop, a pool worker, a plain thread: use a brigade::scope there).
inline void spawn(task<void> t) {
  detail::resume_context* ctx = detail::current_resume_context();
  if (ctx == nullptr || !ctx->owns_detached())
    throw std::logic_error(
        "brigade::spawn: the current context does not own detached tasks (only a simulation "
        "does); start children in a brigade::scope and co_await its join()");
  detail::detached_task d = detail::run_detached(std::move(t));
  d.handle.promise().ctx = ctx;
  try {
    ctx->start_detached(d.handle);
  } catch (...) {
    d.handle.destroy();
    throw;
  }
}

}  // namespace brigade
