// brigade::task_group — spawn any number of tasks, then wait for all of them.
//
// Use it when the tasks are discovered while running (a graph walk, a work list); for a fixed
// split prefer join or parallel_invoke, which never allocate.
#pragma once

#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/pool/detail/job.hpp>
#include <brigade/pool/detail/scheduler.hpp>
#include <brigade/pool/pool.hpp>

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

namespace brigade {
namespace detail {

/// State shared by a task_group and its queued tasks; reference counted so that the last task
/// to finish can signal the waiter even if the group object is destroyed right after.
class group_state {
 public:
  explicit group_state(scheduler& s) noexcept : sched_(s) {}

  scheduler& sched() const noexcept { return sched_; }
  void retain() noexcept { refs_.fetch_add(1, memory_order_relaxed); }
  void release() noexcept {
    // acq_rel: every owner's writes happen before the delete.
    if (refs_.fetch_sub(1, memory_order_acq_rel) == 1) delete this;
  }

  void task_started() noexcept { pending_.fetch_add(1, memory_order_relaxed); }
  void task_finished() noexcept;
  bool idle() const noexcept { return pending_.load(memory_order_seq_cst) == 0; }

  bool cancelled() const noexcept { return cancelled_.load(memory_order_relaxed); }
  void cancel() noexcept { cancelled_.store(true, memory_order_relaxed); }
  void record(std::exception_ptr e) noexcept;
  /// Tracing: a task's last segment, joined into the segment that follows wait().
  void trace_task_end(std::uint64_t segment) noexcept;

  /// Waits until no task is pending (helping when called on a worker of the pool), then
  /// returns the first recorded exception, if any, and clears it and the cancel flag.
  std::exception_ptr wait() noexcept;

 private:
  std::exception_ptr wait_untraced() noexcept;

  scheduler& sched_;
  atomic<std::size_t> refs_{1};
  // seq_cst on the decrement to zero and on idle(): pairs with scheduler::park's announce /
  // re-check, so a waiting worker either sees zero or is woken.
  atomic<std::size_t> pending_{0};
  atomic<bool> cancelled_{false};  // relaxed: a hint to skip work; results flow through mu_
  std::mutex mu_;
  std::condition_variable cv_;             // threads outside the pool wait here
  std::vector<worker*> waiters_;           // workers of the pool waiting here; guarded by mu_
  std::exception_ptr error_;               // the first exception; guarded by mu_
  std::vector<std::uint64_t> trace_ends_;  // tracing: tasks' last segments; guarded by mu_
};

template <class F>
class group_job final : public job {
 public:
  group_job(F&& f, group_state& st) : job(&run_it), f_(std::forward<F>(f)), st_(st) {
    st_.retain();
  }

 private:
  static void run_it(job& j) noexcept {
    auto* self = static_cast<group_job*>(&j);
    group_state& st = self->st_;
    const bool traced = tracing::on();
    if (traced) tracing::begin_segment(self->trace_label, self->trace_parent);
    if (!st.cancelled()) {
      try {
        self->f_();
      } catch (...) {
        st.record(std::current_exception());
      }
    }
    if (traced) st.trace_task_end(tracing::end_segment());
    delete self;
    st.task_finished();
    st.release();
  }

  std::decay_t<F> f_;
  group_state& st_;

 public:
  std::uint64_t trace_parent = 0;  // tracing: the spawning segment
  const char* trace_label = nullptr;
};

}  // namespace detail

/// A set of tasks run on a pool and waited for together (TBB's task_group, Java's
/// invokeAll). Tasks run in no particular order, possibly in parallel.
///
/// Errors: the first exception thrown by a task is kept and rethrown by wait(); once a task
/// has thrown, tasks that have not started yet are skipped. Later exceptions are destroyed.
///
/// Thread safety: run() may be called from any thread, including from inside the group's own
/// tasks; wait() from any thread. Destroying the group waits for its tasks.
class task_group {
 public:
  /// A group on the pool of the calling worker, else on pool::global().
  task_group() : task_group(detail::ambient_scheduler()) {}
  /// A group on pool p.
  explicit task_group(pool& p) : task_group(detail::pool_access::of(p)) {}

  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;

  /// Waits for the tasks. An exception that wait() never rethrew is reported on stderr.
  ~task_group();

  /// Queues f to run on the group's pool. Allocates one job.
  template <class F>
  void run(F&& f) {
    auto* j = new detail::group_job<F>(std::forward<F>(f), *state_);
    if (detail::tracing::on()) {  // a spawn ends the strand: task and continuation follow it
      j->trace_parent = detail::tracing::end_segment();
      j->trace_label = detail::tracing::current_label();
      detail::tracing::begin_segment(nullptr, j->trace_parent);
    }
    state_->task_started();
    detail::queue_job(state_->sched(), j);
  }

  /// Skips the tasks that have not started yet. Running tasks finish normally.
  void cancel() noexcept { state_->cancel(); }

  /// Waits until every task queued so far has finished or been skipped, then rethrows the
  /// first exception a task threw, if any. The group can be reused afterwards.
  ///
  /// On a worker of the group's pool, waiting runs other jobs instead of blocking. Elsewhere
  /// the caller sleeps.
  void wait() {
    if (std::exception_ptr e = state_->wait()) std::rethrow_exception(e);
  }

 private:
  explicit task_group(detail::scheduler& s) : state_(new detail::group_state(s)) {}

  detail::group_state* state_;
};

}  // namespace brigade
