// brigade::offload — hand a CPU-heavy function to the pool and keep the loop serving.
//
//   std::string page = co_await brigade::offload([&] { return render(big_report); });
//
// The coroutine suspends, fn runs on a pool worker, and the coroutine resumes back on the
// event loop it came from: the hybrid case, concurrency for requests and parallelism for the
// work some of them need.
#pragma once

#include <brigade/core/detail/atomic.hpp>
#include <brigade/core/detail/resume_context.hpp>
#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/core/errors.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/pool/detail/job.hpp>
#include <brigade/pool/pool.hpp>

#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace brigade {
namespace detail {

/// What calling fn gives: fn(token) when fn takes a std::stop_token, else fn().
template <class F>
decltype(auto) call_with_token(F& f, const std::stop_token& token) {
  if constexpr (std::is_invocable_v<F&, std::stop_token>) {
    return std::invoke(f, token);
  } else {
    return std::invoke(f);
  }
}

template <class F>
struct offload_call {
  F& f;
  const std::stop_token& token;
  decltype(auto) operator()() { return call_with_token(f, token); }
};

template <class F>
class offload_awaiter {
 public:
  offload_awaiter(F&& f, pool* target) : f_(std::forward<F>(f)), target_(target) {}
  offload_awaiter(const offload_awaiter&) = delete;
  offload_awaiter& operator=(const offload_awaiter&) = delete;

  bool await_ready() noexcept {
    if (target_ != nullptr) return false;  // the caller named the pool
    event_loop* loop = event_loop::current();
    if (loop != nullptr && loop_access::single_threaded(*loop)) {
      run();  // no pool: the chef does it himself
      return true;
    }
    pool* attached = loop != nullptr ? loop_access::attached_pool(*loop) : nullptr;
    target_ = attached != nullptr ? attached : &pool::global();
    return false;
  }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    token_ = stop_token_of(h);
    if (token_.stop_requested()) {
      abandoned_ = true;
      return false;  // resume at once with operation_cancelled
    }
    resume_context* home = current_resume_context();
    std::uint64_t trace_parent = 0;
    const char* label = nullptr;
    if (tracing::on()) {
      label = tracing::current_label();
      trace_parent = tracing::end_segment();
    }
    if (home != nullptr && token_.stop_possible()) {
      // Cancellable while queued: the job lives on the heap, so that a coroutine cancelled
      // before fn starts can resume and go while the job still sits in the pool's queue.
      auto* j = new shared_job(this, h, home, trace_parent, label);
      shared_ = j;
      stop_.emplace(token_, canceller{j, this});
      pool_access::of(*target_).inject(j);
      return true;
    }
    job_.owner = this;
    job_.waiter = h;
    job_.home = home;
    job_.trace_parent = trace_parent;
    job_.label = label;
    pool_access::of(*target_).inject(&job_);
    return true;
  }

  value_of_t<offload_call<F>> await_resume() {
    stop_.reset();  // blocks while a canceller on another thread is still running
    if (abandoned_) throw operation_cancelled("brigade::offload: cancelled before it started");
    delete std::exchange(shared_, nullptr);  // fn ran: the job is done with it
    return result_.take();
  }

  ~offload_awaiter() {
    // Only when the awaiting frame is destroyed while suspended (a bug elsewhere): a job still
    // queued is handed to the worker to free; one a worker holds is never freed here.
    if (shared_ != nullptr && !abandoned_) {
      stop_.reset();
      auto expected = phase::queued;
      shared_->state.compare_exchange_strong(expected, phase::abandoned,
                                             detail::memory_order_acq_rel);
    }
  }

 private:
  void run() noexcept {
    offload_call<F> call{f_, token_};
    result_.run(call);
  }

  // Runs fn on a worker, then sends the coroutine home (or resumes it right here without one).
  static void run_and_resume(offload_awaiter& owner, std::coroutine_handle<> waiter,
                             resume_context* home, std::uint64_t trace_parent,
                             const char* label) noexcept {
    const bool traced = tracing::on();
    if (traced) tracing::begin_segment(label, trace_parent);
    owner.run();
    const std::uint64_t last = traced ? tracing::end_segment() : 0;
    if (home != nullptr) {
      home->resume_later(waiter, last);
    } else {
      if (traced) tracing::begin_segment(label, last);
      waiter.resume();
    }
  }

  // The job of an uncancellable offload: it lives in the awaiting frame.
  struct offload_job final : job {
    offload_job() noexcept
        : job([](job& j) noexcept {
            auto& me = static_cast<offload_job&>(j);
            run_and_resume(*me.owner, me.waiter, me.home, me.trace_parent, me.label);
          }) {}
    offload_awaiter* owner = nullptr;
    std::coroutine_handle<> waiter;
    resume_context* home = nullptr;
    std::uint64_t trace_parent = 0;
    const char* label = nullptr;
  };

  // The job of a cancellable offload. `phase` decides who wins, the worker that starts fn or
  // the canceller: queued -> running (the worker: fn runs, the awaiter frees the job after it
  // resumes) or queued -> abandoned (the canceller: the coroutine resumes with
  // operation_cancelled, and the worker frees the job when it pops it, without touching the
  // awaiter, which may be gone by then).
  enum class phase : unsigned char { queued, running, abandoned };
  struct shared_job final : job {
    shared_job(offload_awaiter* o, std::coroutine_handle<> w, resume_context* h,
               std::uint64_t parent, const char* l) noexcept
        : job([](job& j) noexcept {
            auto& me = static_cast<shared_job&>(j);
            auto expected = phase::queued;
            // acq_rel: pairs with the canceller's CAS; exactly one of the two leaves queued.
            if (!me.state.compare_exchange_strong(expected, phase::running,
                                                  detail::memory_order_acq_rel)) {
              delete &me;  // abandoned: the awaiter is gone or going; nothing of it is touched
              return;
            }
            run_and_resume(*me.owner, me.waiter, me.home, me.trace_parent, me.label);
            // Not a byte of `me` after this: the resumed awaiter frees it.
          }),
          owner(o),
          waiter(w),
          home(h),
          trace_parent(parent),
          label(l) {}
    detail::atomic<phase> state{phase::queued};
    offload_awaiter* owner;
    std::coroutine_handle<> waiter;
    resume_context* home;
    std::uint64_t trace_parent;
    const char* label;
  };

  struct canceller {
    shared_job* j;
    offload_awaiter* owner;
    void operator()() const noexcept {
      // The job stays valid meanwhile: the worker frees it only once abandoned (which only we
      // decide), the awaiter only after its stop callback (this) has finished.
      const std::coroutine_handle<> waiter = j->waiter;
      resume_context* home = j->home;
      auto expected = phase::queued;
      if (!j->state.compare_exchange_strong(expected, phase::abandoned,
                                            detail::memory_order_acq_rel))
        return;                  // fn started: it runs to the end (it may watch its stop token)
      owner->abandoned_ = true;  // read by await_resume after resume_later hands over
      home->resume_later(waiter);
    }
  };

  std::decay_t<F> f_;
  // Run once fn ran, then taken by await_resume; never run when the job was abandoned (and
  // await_resume throws without taking it).
  outcome<value_of_t<offload_call<F>>> result_;
  pool* target_ = nullptr;
  std::stop_token token_;
  bool abandoned_ = false;
  shared_job* shared_ = nullptr;
  std::optional<std::stop_callback<canceller>> stop_;
  offload_job job_;
};

}  // namespace detail

/// `co_await offload(fn)`: runs fn on the loop's pool (its runtime's, else pool::global())
/// and resumes on the awaiting loop's thread with fn's result (void as std::monostate), or
/// rethrows fn's exception. On a single-threaded runtime's loop, fn runs inline. fn may take
/// a std::stop_token: it receives the awaiting coroutine's, so long work can stop early.
///
/// Cancellation: when the awaiting coroutine's stop token is requested while fn still waits
/// in the pool's queue, fn never runs and the coroutine resumes at once with
/// operation_cancelled (for a coroutine awaiting on an event loop; elsewhere fn runs anyway).
/// Once fn runs it is not interrupted: it sees the request through its stop_token parameter,
/// and the coroutine resumes when fn returns, with fn's result or exception.
/// Allocation: one small node to resume on the loop; with a stop token that can be
/// requested, also the job itself (a cancelled coroutine must be able to go before the job
/// leaves the queue); otherwise the job lives in the awaiting frame.
template <class F>
detail::offload_awaiter<F> offload(F&& fn) {
  return detail::offload_awaiter<F>(std::forward<F>(fn), nullptr);
}

/// `co_await offload(p, fn)`: as offload(fn), on pool p, also from a single-threaded
/// runtime's loop: a lane of its own for work that must not queue behind the loop's pool
/// (blocking file system calls behind long computations, say).
template <class F>
detail::offload_awaiter<F> offload(pool& p, F&& fn) {
  return detail::offload_awaiter<F>(std::forward<F>(fn), &p);
}

}  // namespace brigade
