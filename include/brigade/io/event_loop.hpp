// brigade::event_loop — one chef, many dishes: a thread that resumes coroutines when their
// sockets, files, timers or signals are ready.
//
// A loop runs on one thread (the one that calls run() or run_until()). Coroutines move onto it
// with `co_await loop.schedule()`; every I/O awaitable brigade provides resumes on its loop's
// thread. The backend is epoll, or io_uring where the kernel allows it (chosen at run time;
// BRIGADE_IO=epoll|uring forces one).
#pragma once

#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/core/errors.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/detail/io_op.hpp>

#include <chrono>
#include <coroutine>
#include <exception>
#include <memory>
#include <stop_token>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace brigade {

class pool;

namespace detail {

/// A queued resumption of a coroutine.
struct resume_node : post_node {
  resume_node() noexcept {
    run = [](post_node& n) noexcept { static_cast<resume_node&>(n).waiter.resume(); };
  }
  std::coroutine_handle<> waiter;
};

}  // namespace detail

/// Which kernel interface a loop uses.
enum class io_backend { automatic, epoll, uring };

namespace detail {
class loop_core;
struct loop_access;
}  // namespace detail

/// A single-threaded event loop with timers, sockets, files and signals.
///
/// Thread safety: post(), schedule(), stop() and submitting operations are safe from any
/// thread; everything else (run, run_until) belongs to the loop's own thread. Distinct loops
/// are independent.
/// Cancellation: every operation honours the awaiting coroutine's stop token, resuming it with
/// brigade::operation_cancelled.
/// Errors: the constructor throws std::invalid_argument for an invalid BRIGADE_IO, and
/// std::system_error when the kernel refuses the backend that was asked for explicitly.
class event_loop {
 public:
  struct options {
    /// automatic: BRIGADE_IO if set, else io_uring when available, else epoll (a fallback
    /// reported by one line on stderr, once per process).
    io_backend backend = io_backend::automatic;
  };

  event_loop();
  explicit event_loop(options o);
  /// Cancels what is still pending (each waiting coroutine resumes with operation_cancelled)
  /// and runs posted work until none is left. Call it on the loop's thread or after it stops.
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  /// The backend in use (never automatic) and its name ("epoll" or "io_uring").
  io_backend backend() const noexcept;
  const char* backend_name() const noexcept;

  /// Runs the loop on the calling thread until stop().
  /// Errors: std::logic_error when the loop is running already — on another thread, or on
  /// this one (run() from inside a coroutine of the same loop): a loop has one thread.
  void run();

  /// Runs t on this loop, on the calling thread, until t completes; returns its value or
  /// rethrows its exception. Other work on the loop runs meanwhile.
  ///
  /// Cancellation: a stop() while t runs (from any thread, or made before run_until) stops
  /// the loop: t's stop token is triggered and every operation pending on the loop is
  /// cancelled (each waiting coroutine resumes with operation_cancelled), and run_until keeps
  /// the loop turning until t has finished, so nothing t owns is freed while an operation
  /// still refers to it. It then returns t's value, or rethrows t's exception (usually
  /// operation_cancelled). A t that ignores cancellation and waits for something the loop
  /// does not own (a channel, another thread) delays run_until until that arrives.
  /// Errors: std::logic_error as run(), and for an empty t.
  template <class T>
  T run_until(task<T> t);

  /// Makes run() return soon; called before run(), makes the next run() return at once (after
  /// running what is ready). run() uses the request up when it returns. Thread-safe.
  void stop() noexcept;

  /// The loop whose thread is calling, or nullptr.
  static event_loop* current() noexcept;
  bool on_loop_thread() const noexcept { return current() == this; }

  /// `co_await loop.schedule()`: continue on this loop's thread (behind what is already
  /// queued, so on the loop itself it is a cooperative yield). Allocates nothing.
  class schedule_awaiter {
   public:
    explicit schedule_awaiter(event_loop& l) noexcept : loop_(l) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept {
      node_.waiter = h;
      if (detail::tracing::on()) node_.trace_after = detail::tracing::end_segment();
      loop_.post_node(node_);
    }
    void await_resume() const noexcept {}

   private:
    event_loop& loop_;
    detail::resume_node node_;
  };
  schedule_awaiter schedule() noexcept { return schedule_awaiter{*this}; }

  /// Queues fn to run on the loop's thread. Thread-safe; allocates one node.
  template <class F>
  void post(F&& fn) {
    struct node final : detail::post_node {
      explicit node(F&& f) : fn(std::forward<F>(f)) {
        run = [](detail::post_node& n) noexcept {
          auto* self = static_cast<node*>(&n);
          self->fn();
          delete self;
        };
      }
      std::decay_t<F> fn;
    };
    post_node(*new node(std::forward<F>(fn)));
  }

  /// The loop's clock, in nanoseconds (steady).
  static std::int64_t now_ns() noexcept;

 private:
  friend struct detail::loop_access;
  void post_node(detail::post_node& n) noexcept;

  std::unique_ptr<detail::loop_core> core_;
  brigade::pool* pool_ = nullptr;  // what offload() and epoll's file I/O use; null: the global
  bool single_threaded_ = false;   // no pool at all: offload() and file I/O run on the loop
};

namespace detail {

/// Internal access to a loop's machinery, for brigade's own awaitables and for the runtime's
/// wiring; not part of the API (as Asio's and oneTBB's detail accessors).
struct loop_access {
  static void post(event_loop& l, post_node& n) noexcept { l.post_node(n); }
  /// Starts op; true if it already completed (no suspension needed). Any thread.
  static bool submit(event_loop& l, io_op& op) noexcept;
  static loop_core& core(event_loop& l) noexcept { return *l.core_; }
  /// The pool offload() uses from this loop (set before the loop runs); nullptr: the global.
  static void attach_pool(event_loop& l, pool* p) noexcept { l.pool_ = p; }
  static pool* attached_pool(const event_loop& l) noexcept { return l.pool_; }
  /// A loop told it has no pool at all (single-threaded runtime) runs offloads itself.
  static void set_single_threaded(event_loop& l, bool on) noexcept { l.single_threaded_ = on; }
  static bool single_threaded(const event_loop& l) noexcept { return l.single_threaded_; }
};

}  // namespace detail

namespace detail {

/// The coroutine run_until drives: awaits the task, then asks the loop to stop.
class loop_root {
 public:
  struct promise_type {
    event_loop* loop = nullptr;
    bool finished = false;
    std::stop_source stop;  // the task inherits its token; an outside stop() requests it
    std::stop_token stop_token() const noexcept { return stop.get_token(); }
    loop_root get_return_object() noexcept {
      return loop_root{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    auto final_suspend() noexcept {
      struct stopper {
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<promise_type> h) noexcept {
          h.promise().finished = true;
          h.promise().loop->stop();
        }
        void await_resume() const noexcept {}
      };
      return stopper{};
    }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // the body catches everything
  };
  explicit loop_root(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  loop_root(loop_root&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  loop_root& operator=(loop_root&&) = delete;
  ~loop_root() {
    if (h_) h_.destroy();
  }
  std::coroutine_handle<promise_type> handle() const noexcept { return h_; }

 private:
  std::coroutine_handle<promise_type> h_;
};

template <class T, class Out>
loop_root loop_root_body(task<T>& t, Out& out) {
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

/// Runs the loop on the calling thread: resumes `root` on it, then runs until `finished`. If
/// the loop is stopped first, requests `stop` and runs on, cancelling whatever is pending on
/// the loop, until `finished` (the root's frame must not go while operations refer to it).
void run_loop_until(event_loop& loop, std::coroutine_handle<> root, const bool& finished,
                    std::stop_source& stop);

}  // namespace detail

template <class T>
T event_loop::run_until(task<T> t) {
  std::variant<std::monostate, std::conditional_t<std::is_void_v<T>, std::monostate, T>,
               std::exception_ptr>
      out;
  detail::loop_root root = detail::loop_root_body(t, out);
  root.handle().promise().loop = this;
  auto& promise = root.handle().promise();
  detail::run_loop_until(*this, root.handle(), promise.finished, promise.stop);
  if (out.index() == 2) std::rethrow_exception(std::get<2>(out));
  if constexpr (!std::is_void_v<T>) return std::move(std::get<1>(out));
}

}  // namespace brigade
