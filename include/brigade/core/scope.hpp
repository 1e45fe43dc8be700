// brigade::scope — structured concurrency: spawn child tasks that cannot outlive the scope.
//
//   brigade::scope s;
//   for (auto& c : clients) s.spawn(serve(c));
//   co_await s.join();   // every child finished; the first failure is rethrown here
//
// The first child to fail requests stop on its siblings (their brigade awaitables throw
// operation_cancelled) and its exception is rethrown by join(). Nothing is lost: join()
// returns only after every child has finished.
#pragma once

#include <brigade/core/detail/atomic.hpp>
#include <brigade/core/errors.hpp>
#include <brigade/core/task.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <utility>

namespace brigade {

/// A set of concurrently running child tasks with one join point and one stop source.
///
/// Thread safety: spawn(), request_stop() and the children's completion may happen on any
/// threads concurrently; join() is awaited by one coroutine at a time.
/// Cancellation: children get the scope's stop token. request_stop() (or a stop request on
/// the token given to the constructor) cancels them all; operation_cancelled exceptions that
/// follow a stop request are expected and not reported by join().
/// Errors: destroying a scope whose children are still running is a bug that would leave them
/// dangling: the process is aborted with a message. Always `co_await join()` first.
class scope {
 public:
  scope() = default;
  /// A scope whose children are also stopped when `parent` is.
  explicit scope(std::stop_token parent) { link_.emplace(std::move(parent), forward_stop{this}); }
  scope(const scope&) = delete;
  scope& operator=(const scope&) = delete;
  ~scope();

  /// Starts t now, on the calling thread, until its first suspension. Allocates nothing: the
  /// child reports its end to the scope from its own final suspension and frees its frame.
  /// Errors: std::invalid_argument for an empty task (moved from or default-constructed).
  template <class T>
  void spawn(task<T> t) {
    if (!t) throw std::invalid_argument("brigade::scope::spawn: the task is empty");
    const auto h = t.release();
    auto& p = h.promise();
    if (!p.stop_token().stop_possible()) p.set_stop_token(stop_.get_token());
    p.detach_to(reaper_);
    count_.fetch_add(1, detail::memory_order_relaxed);  // the joiner's decrement orders it
    h.resume();
  }

  /// Asks every child to stop.
  void request_stop() noexcept { stop_.request_stop(); }
  std::stop_token stop_token() const noexcept { return stop_.get_token(); }

  /// Children spawned and not finished yet.
  std::size_t active() const noexcept { return count_.load(detail::memory_order_acquire) - 1; }

  class join_awaiter {
   public:
    explicit join_awaiter(scope& s) noexcept : s_(s) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
      s_.joiner_ = h;
      // acq_rel pairs with the children's decrements: the last one sees joiner_, and we see
      // every child's effects when we are last.
      return s_.count_.fetch_sub(1, detail::memory_order_acq_rel) != 1;
    }
    void await_resume() {
      s_.count_.store(1, detail::memory_order_relaxed);  // reusable after a join
      s_.joiner_ = {};
      std::exception_ptr e;
      {
        std::lock_guard lock(s_.mu_);
        e = std::exchange(s_.error_, nullptr);
      }
      if (e) std::rethrow_exception(e);
    }

   private:
    scope& s_;
  };

  /// `co_await s.join()`: waits until every child has finished, then rethrows the first
  /// failure. The awaiter resumes on the thread that finished the last child.
  [[nodiscard]] join_awaiter join() noexcept { return join_awaiter{*this}; }

 private:
  struct forward_stop {
    scope* s;
    void operator()() const noexcept { s->request_stop(); }
  };

  // What a child's end reports to (a member, so the scope itself stays non-polymorphic).
  struct reaper final : detail::detached_owner {
    scope* s;
    explicit reaper(scope* owner) noexcept : s(owner) {}
    std::coroutine_handle<> finished(std::exception_ptr error) noexcept override {
      if (error) s->child_failed(std::move(error));
      return s->child_done();
    }
  };

  void child_failed(std::exception_ptr e) noexcept;
  std::coroutine_handle<> child_done() noexcept {
    if (count_.fetch_sub(1, detail::memory_order_acq_rel) == 1) return joiner_;
    return std::noop_coroutine();
  }

  reaper reaper_{this};
  // Children + 1 for the scope itself until join() gives that one up.
  detail::atomic<std::size_t> count_{1};
  std::coroutine_handle<> joiner_;
  std::stop_source stop_;
  std::optional<std::stop_callback<forward_stop>> link_;
  std::mutex mu_;
  std::exception_ptr error_;  // the first failure; guarded by mu_
};

}  // namespace brigade
