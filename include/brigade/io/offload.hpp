// brigade::offload — hand a CPU-heavy function to the pool and keep the loop serving.
//
//   std::string page = co_await brigade::offload([&] { return render(big_report); });
//
// The coroutine suspends, fn runs on a pool worker, and the coroutine resumes back on the
// event loop it came from: the hybrid case, concurrency for requests and parallelism for the
// work some of them need.
#pragma once

#include <brigade/core/detail/resume_context.hpp>
#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/pool/detail/job.hpp>
#include <brigade/pool/pool.hpp>

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

namespace brigade {
namespace detail {

template <class F>
class offload_awaiter {
 public:
  explicit offload_awaiter(F&& f) : f_(std::forward<F>(f)) {}
  offload_awaiter(const offload_awaiter&) = delete;
  offload_awaiter& operator=(const offload_awaiter&) = delete;

  bool await_ready() noexcept {
    event_loop* loop = event_loop::current();
    if (loop != nullptr && loop->single_threaded()) {
      run();  // no pool: the chef does it himself
      return true;
    }
    target_ = loop != nullptr && loop->attached_pool() != nullptr ? loop->attached_pool()
                                                                  : &pool::global();
    return false;
  }
  void await_suspend(std::coroutine_handle<> h) {
    job_.owner = this;
    job_.waiter = h;
    job_.home = current_resume_context();
    if (tracing::on()) {
      job_.label = tracing::current_label();
      job_.trace_parent = tracing::end_segment();
    }
    target_->scheduler().inject(&job_);
  }
  value_of_t<F> await_resume() {
    if (error_) std::rethrow_exception(error_);
    return result_.take();
  }

 private:
  void run() noexcept {
    try {
      result_.emplace_from(f_);
    } catch (...) {
      error_ = std::current_exception();
    }
  }

  struct offload_job final : job {
    offload_job() noexcept
        : job([](job& j) noexcept {
            auto& me = static_cast<offload_job&>(j);
            const bool traced = tracing::on();
            if (traced) tracing::begin_segment(me.label, me.trace_parent);
            me.owner->run();
            const std::uint64_t last = traced ? tracing::end_segment() : 0;
            // Back home: the loop we came from, or right here on the worker without one.
            if (me.home != nullptr) {
              me.home->resume_later(me.waiter, last);
            } else {
              if (traced) tracing::begin_segment(me.label, last);
              me.waiter.resume();
            }
          }) {}
    offload_awaiter* owner = nullptr;
    std::coroutine_handle<> waiter;
    resume_context* home = nullptr;
    std::uint64_t trace_parent = 0;
    const char* label = nullptr;
  };

  std::decay_t<F> f_;
  late_value<value_of_t<F>> result_;
  std::exception_ptr error_;
  pool* target_ = nullptr;
  offload_job job_;
};

}  // namespace detail

/// `co_await offload(fn)`: runs fn() on the loop's pool (its runtime's, else pool::global())
/// and resumes on the awaiting loop's thread with fn's result (void as std::monostate), or
/// rethrows fn's exception. On a single-threaded runtime's loop, fn runs inline.
///
/// Cancellation: fn is not interrupted; the coroutine resumes when it is done.
/// Allocation: one small node to resume on the loop; the job lives in the awaiting frame.
template <class F>
detail::offload_awaiter<F> offload(F&& fn) {
  return detail::offload_awaiter<F>(std::forward<F>(fn));
}

}  // namespace brigade
