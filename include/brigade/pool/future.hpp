// brigade::submit and brigade::future — the concurrent.futures / java.util.concurrent habit:
// hand a plain function to the pool, keep a handle to its result.
//
//   brigade::future<int> f = brigade::submit(pool, [] { return crunch(); });
//   int x = f.get();                       // plain code: blocks
//   int y = co_await brigade::submit(...)  // coroutine: suspends, resumes where it was
//   for (auto& done : brigade::as_completed(futures)) use(done.get());
#pragma once

#include <brigade/core/detail/resume_context.hpp>
#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/pool/detail/job.hpp>
#include <brigade/pool/pool.hpp>

#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace brigade {

template <class T>
class future;

namespace detail {

/// The result slot a future and its job share.
template <class T>
class future_state {
 public:
  using stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

  /// Runs f and publishes its outcome. `traced`: the job's segment is open; it ends before
  /// the outcome is published, so a waiter can continue after it.
  template <class F>
  void run(F& f, bool traced = false) noexcept {
    try {
      if constexpr (std::is_void_v<T>) {
        f();
        value_.emplace();
      } else {
        value_.emplace(f());
      }
    } catch (...) {
      error_ = std::current_exception();
    }
    if (traced) trace_last_ = tracing::end_segment();
    std::vector<std::function<void()>> listeners;
    std::coroutine_handle<> waiter;
    resume_context* where = nullptr;
    {
      std::lock_guard lock(mu_);
      ready_ = true;
      listeners.swap(listeners_);
      waiter = std::exchange(waiter_, {});
      where = waiter_context_;
      cv_.notify_all();
    }
    for (auto& l : listeners) l();
    if (waiter) {
      if (where != nullptr) {
        where->resume_later(waiter);
      } else {
        waiter.resume();
      }
    }
  }

  bool ready() const {
    std::lock_guard lock(mu_);
    return ready_;
  }
  /// Blocks until ready. While tracing, the caller's segment ends here (waiting is not work)
  /// and its continuation starts after the job's last segment.
  void wait() const {
    const std::uint64_t before = tracing::on() ? tracing::end_segment() : 0;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return ready_; });
    }
    if (before != 0) tracing::begin_segment(nullptr, before, trace_last_);
  }
  template <class Rep, class Period>
  bool wait_for(std::chrono::duration<Rep, Period> d) const {
    const std::uint64_t before = tracing::on() ? tracing::end_segment() : 0;
    bool ready = false;
    {
      std::unique_lock lock(mu_);
      ready = cv_.wait_for(lock, d, [this] { return ready_; });
    }
    if (before != 0) tracing::begin_segment(nullptr, before, ready ? trace_last_ : 0);
    return ready;
  }
  /// Calls fn once the result is ready (now, if it is).
  void on_ready(std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      if (!ready_) {
        listeners_.push_back(std::move(fn));
        return;
      }
    }
    fn();
  }
  /// Registers a coroutine to resume when ready; false if already ready (do not suspend).
  bool suspend(std::coroutine_handle<> h, resume_context* where) {
    std::lock_guard lock(mu_);
    if (ready_) return false;
    waiter_ = h;
    waiter_context_ = where;
    return true;
  }
  stored take() {
    if (error_) std::rethrow_exception(error_);
    return std::move(*value_);
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool ready_ = false;
  std::optional<stored> value_;  // written before ready_ (under mu_), read after
  std::exception_ptr error_;
  std::vector<std::function<void()>> listeners_;
  std::coroutine_handle<> waiter_;
  resume_context* waiter_context_ = nullptr;
  std::uint64_t trace_last_ = 0;  // tracing: the job's last segment, written before ready_

 public:
  // Tracing only: the submitter's segment the job follows, and the label it runs under.
  std::uint64_t trace_parent = 0;
  const char* trace_label = nullptr;
};

/// While tracing, a submission is a fork: the submitter's segment ends, the job will start
/// after it, and the submitter goes on in a new segment after it too.
template <class T>
void trace_fork(future_state<T>& st) noexcept {
  if (!tracing::on()) return;
  st.trace_parent = tracing::end_segment();
  st.trace_label = tracing::current_label();
  if (st.trace_parent != 0) tracing::begin_segment(nullptr, st.trace_parent);
}

template <class T, class F>
class future_job final : public job {
 public:
  future_job(F&& f, std::shared_ptr<future_state<T>> st)
      : job(&run_it), f_(std::forward<F>(f)), st_(std::move(st)) {}

 private:
  static void run_it(job& j) noexcept {
    auto* self = static_cast<future_job*>(&j);
    const bool traced = tracing::on() && self->st_->trace_parent != 0;
    if (traced) tracing::begin_segment(self->st_->trace_label, self->st_->trace_parent);
    self->st_->run(self->f_, traced);
    delete self;
  }
  std::decay_t<F> f_;
  std::shared_ptr<future_state<T>> st_;
};

}  // namespace detail

/// The eventual result of a function submitted to a pool.
///
/// Thread safety: a future may be waited on from any threads; get() moves the value out, so
/// call it once. Errors: get() rethrows the function's exception; using an empty (moved-from
/// or default) future throws std::logic_error. Blocking: get(), wait() and wait_for() block
/// the calling thread — from a coroutine, `co_await` the future instead.
template <class T>
class future {
 public:
  future() = default;

  /// Waits, then returns the value or rethrows the exception.
  T get() {
    check();
    st_->wait();
    if constexpr (std::is_void_v<T>) {
      st_->take();
    } else {
      return st_->take();
    }
  }
  void wait() const {
    check();
    st_->wait();
  }
  /// std::future_status::ready or timeout.
  template <class Rep, class Period>
  std::future_status wait_for(std::chrono::duration<Rep, Period> d) const {
    check();
    return st_->wait_for(d) ? std::future_status::ready : std::future_status::timeout;
  }
  bool ready() const {
    check();
    return st_->ready();
  }
  bool valid() const noexcept { return st_ != nullptr; }

  /// `co_await f`: suspends until ready; resumes on the awaiting event loop's thread when
  /// awaited from a loop, else on the worker that finished the function.
  class awaiter {
   public:
    explicit awaiter(detail::future_state<T>& st) noexcept : st_(st) {}
    bool await_ready() const { return st_.ready(); }
    bool await_suspend(std::coroutine_handle<> h) {
      return st_.suspend(h, detail::current_resume_context());
    }
    T await_resume() {
      if constexpr (std::is_void_v<T>) {
        st_.take();
      } else {
        return st_.take();
      }
    }

   private:
    detail::future_state<T>& st_;
  };
  awaiter operator co_await() {
    check();
    return awaiter{*st_};
  }

  /// Internal.
  explicit future(std::shared_ptr<detail::future_state<T>> st) noexcept : st_(std::move(st)) {}
  detail::future_state<T>& state() {
    check();
    return *st_;
  }

 private:
  void check() const {
    if (!st_)
      throw std::logic_error("brigade::future: no state (moved from or default-constructed)");
  }
  std::shared_ptr<detail::future_state<T>> st_;
};

/// Runs fn() on pool p (queued like any outside submission); returns its future.
template <class F>
future<std::invoke_result_t<std::decay_t<F>&>> submit(pool& p, F&& fn) {
  using T = std::invoke_result_t<std::decay_t<F>&>;
  auto st = std::make_shared<detail::future_state<T>>();
  detail::trace_fork(*st);
  auto* j = new detail::future_job<T, F>(std::forward<F>(fn), st);
  detail::queue_job(detail::pool_access::of(p), j);
  return future<T>(std::move(st));
}

/// submit on the calling worker's pool, else pool::global().
template <class F>
future<std::invoke_result_t<std::decay_t<F>&>> submit(F&& fn) {
  detail::worker* w = detail::current_worker();
  if (w == nullptr) return submit(pool::global(), std::forward<F>(fn));
  using T = std::invoke_result_t<std::decay_t<F>&>;
  auto st = std::make_shared<detail::future_state<T>>();
  detail::trace_fork(*st);
  detail::queue_job(w->sched(), new detail::future_job<T, F>(std::forward<F>(fn), st));
  return future<T>(std::move(st));
}

/// Iterates over futures in the order they complete (blocking between steps).
template <class T>
class completion_order {
 public:
  explicit completion_order(std::vector<future<T>>& fs)
      : fs_(fs), order_(std::make_shared<queue>()) {
    for (std::size_t i = 0; i < fs_.size(); ++i) {
      std::weak_ptr<queue> q = order_;
      fs_[i].state().on_ready([q, i] {
        if (auto s = q.lock()) s->push(i);
      });
    }
  }

  class iterator {
   public:
    using value_type = future<T>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(completion_order* o, std::size_t left) : o_(o), left_(left), done_(false) {
      advance();
    }
    future<T>& operator*() const { return o_->fs_[current_]; }
    future<T>* operator->() const { return &o_->fs_[current_]; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    bool operator==(const iterator& other) const { return done_ == other.done_; }

   private:
    void advance() {
      if (left_ == 0) {
        done_ = true;
        return;
      }
      --left_;
      current_ = o_->order_->pop();
    }
    completion_order* o_ = nullptr;
    std::size_t left_ = 0;
    std::size_t current_ = 0;
    bool done_ = true;
  };

  iterator begin() { return iterator(this, fs_.size()); }
  iterator end() { return iterator(); }

 private:
  struct queue {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::size_t> ready;
    void push(std::size_t i) {
      std::lock_guard lock(mu);
      ready.push_back(i);
      cv.notify_one();
    }
    std::size_t pop() {
      std::unique_lock lock(mu);
      cv.wait(lock, [this] { return !ready.empty(); });
      const std::size_t i = ready.front();
      ready.pop_front();
      return i;
    }
  };
  std::vector<future<T>>& fs_;
  std::shared_ptr<queue> order_;
};

/// `for (auto& f : as_completed(futures)) ...` visits each future once, in the order they
/// finish (f.get() then never blocks). Blocking: each step sleeps until the next one is done.
template <class T>
completion_order<T> as_completed(std::vector<future<T>>& futures) {
  return completion_order<T>(futures);
}

}  // namespace brigade
