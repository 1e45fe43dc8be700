// brigade::pool — the team of chefs: N worker threads with work-stealing deques.
//
// Most code never names a pool: brigade::join, parallel_for and friends run on the pool of the
// calling worker, or on pool::global() when called from any other thread. Make a pool of your
// own to isolate work (a separate set of threads) or to choose its size in code, and pass it
// to an algorithm in its options (`parallel_for(0, n, f, {.pool = &p})`) or run code on it
// (`p.run(f)`, `co_await p.schedule()`).
#pragma once

#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/pool/detail/job.hpp>
#include <brigade/pool/detail/scheduler.hpp>

#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <type_traits>

namespace brigade {

namespace detail {
struct pool_access;
}

/// A fixed set of worker threads that run fork-join work by work stealing.
///
/// Each worker owns a Chase–Lev deque: work it forks goes on its own deque, idle workers steal
/// from random victims, work from other threads enters through an injection queue. Idle workers
/// spin briefly, then park on a futex, so an idle pool uses no CPU.
///
/// Thread safety: all member functions are safe to call from any thread, concurrently, except
/// that the destructor must not race with other calls on the same pool.
class pool {
 public:
  /// A pool of `BRIGADE_THREADS` workers when that variable is set, else one per hardware
  /// thread. Throws std::invalid_argument when BRIGADE_THREADS is not a positive integer.
  pool();

  /// A pool of exactly `threads` workers. Throws std::invalid_argument when threads is 0.
  explicit pool(std::size_t threads);

  /// Finishes all work already submitted, then joins the workers.
  ~pool();

  /// Sets the niceness (-20..19, higher is lower priority) of every worker thread. An event
  /// loop sharing cores with the pool wins a core back at once when the workers are nicer than
  /// it, e.g. 10 (a runtime does this with options::pool_nice).
  /// Errors: std::invalid_argument outside -20..19; std::system_error when the system refuses
  /// (going below the current value needs CAP_SYS_NICE).
  void set_worker_nice(int nice);

  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// The number of worker threads.
  std::size_t size() const noexcept { return sched_->size(); }

  /// The process-wide default pool, created on first use with the default thread count.
  /// Throws std::invalid_argument (and creates nothing) when BRIGADE_THREADS is invalid.
  static pool& global();

  /// True when the calling thread is one of this pool's workers.
  bool owns_current_thread() const noexcept {
    const detail::worker* w = detail::current_worker();
    return w != nullptr && &w->sched() == sched_.get();
  }

  /// Runs f() on one of this pool's workers and returns its result (or rethrows its
  /// exception). Called from a worker of this pool, f simply runs inline.
  ///
  /// Blocking: called from another thread (including a worker of another pool), the calling
  /// thread sleeps until f is done.
  template <class F>
  std::invoke_result_t<F&> run(F&& f);

  /// `co_await pool.schedule()`: continue this coroutine on one of the pool's workers.
  /// Allocates nothing (the job lives in the awaiting frame). The coroutine queues behind the
  /// pool's other work, also from one of its own workers: a coroutine that reschedules itself
  /// in a loop lets every other job run in between (the worker's own deque is last in, first
  /// out, so it goes to the pool's first-in, first-out queue instead).
  class schedule_awaiter {
   public:
    explicit schedule_awaiter(pool& p) noexcept : p_(p) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept {
      job_.waiter = h;
      if (detail::tracing::on()) job_.trace_parent = detail::tracing::end_segment();
      p_.sched_->inject(&job_);
    }
    void await_resume() const noexcept {}

   private:
    struct resume_job final : detail::job {
      resume_job() noexcept
          : job([](job& j) noexcept {
              auto& me = static_cast<resume_job&>(j);
              if (detail::tracing::on()) detail::tracing::begin_segment(nullptr, me.trace_parent);
              me.waiter.resume();
            }) {}
      std::coroutine_handle<> waiter;
      std::uint64_t trace_parent = 0;
    };
    pool& p_;
    resume_job job_;
  };
  schedule_awaiter schedule() noexcept { return schedule_awaiter{*this}; }

 private:
  friend struct detail::pool_access;
  std::unique_ptr<detail::scheduler> sched_;
};

namespace detail {

/// Internal access to a pool's scheduler, for brigade's own algorithms and awaitables; not part
/// of the API (as detail::loop_access for event loops).
struct pool_access {
  static scheduler& of(pool& p) noexcept { return *p.sched_; }
};

/// The number of threads a default pool gets: BRIGADE_THREADS if set (validated), else the
/// hardware concurrency (at least 1).
std::size_t default_thread_count();

/// Parses a thread count as BRIGADE_THREADS would be parsed; throws std::invalid_argument
/// naming the text when it is not an integer in [1, max_threads].
std::size_t parse_thread_count(const char* text);

inline constexpr std::size_t max_threads = 4096;

/// The scheduler that a free algorithm called on this thread uses.
scheduler& ambient_scheduler();

/// A job that a thread outside the pool injects and then sleeps on until a worker ran it.
template <class F>
class blocking_job final : public job {
 public:
  explicit blocking_job(F& f) noexcept : job(&run_it), f_(f) {}

  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return done_; });
  }
  value_of_t<F> take() { return result_.take(); }

 private:
  static void run_it(job& j) noexcept {
    auto& self = static_cast<blocking_job&>(j);
    const bool traced = tracing::on();
    if (traced) tracing::begin_segment(self.trace_label, self.trace_parent);
    self.result_.run(self.f_);
    if (traced) self.trace_last = tracing::end_segment();
    // Notify while holding the lock: the waiter cannot return (and destroy *this) before we
    // release it, and we touch nothing after.
    std::lock_guard lock(self.mu_);
    self.done_ = true;
    self.cv_.notify_one();
  }

  F& f_;
  outcome<value_of_t<F>> result_;  // run() always runs before take() (wait() sees done_)
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;

 public:
  // Tracing only: the caller's segment before, the job's last segment (read after wait()).
  std::uint64_t trace_parent = 0;
  std::uint64_t trace_last = 0;
  const char* trace_label = nullptr;
};

/// Runs f on a worker of s: inline when the caller is one, else injected and waited for.
template <class F>
std::invoke_result_t<F&> run_on(scheduler& s, F& f) {
  worker* w = current_worker();
  if (w != nullptr && &w->sched() == &s) return f();
  blocking_job<F> j(f);
  const bool traced = tracing::on();
  if (traced) {
    j.trace_parent = tracing::end_segment();
    j.trace_label = tracing::current_label();
  }
  s.inject(&j);
  j.wait();
  if (traced) tracing::begin_segment(nullptr, j.trace_last);
  if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
    j.take();
  } else {
    return j.take();
  }
}

}  // namespace detail

template <class F>
std::invoke_result_t<F&> pool::run(F&& f) {
  return detail::run_on(*sched_, f);
}

}  // namespace brigade
