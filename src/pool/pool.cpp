// brigade::pool, the global pool, and task_group's out-of-line parts.
#include <brigade/pool/pool.hpp>
#include <brigade/pool/task_group.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace brigade {

pool::pool() : pool(detail::default_thread_count()) {}

pool::pool(std::size_t threads) {
  if (threads == 0)
    throw std::invalid_argument("brigade::pool: thread count must be at least 1, got 0");
  if (threads > detail::max_threads)
    throw std::invalid_argument("brigade::pool: thread count " + std::to_string(threads) +
                                " is more than the limit of " +
                                std::to_string(detail::max_threads));
  sched_ = std::make_unique<detail::scheduler>(threads);
}

pool::~pool() = default;

void pool::set_worker_nice(int nice) {
  sched_->set_nice(nice);
}

pool& pool::global() {
  // Constructed on first use; if BRIGADE_THREADS is invalid the constructor throws, nothing is
  // cached, and the next call tries again.
  static pool instance;
  return instance;
}

namespace detail {

scheduler& ambient_scheduler() {
  if (worker* w = current_worker()) return w->sched();
  return pool_access::of(pool::global());
}

void group_state::task_finished() noexcept {
  if (pending_.fetch_sub(1, memory_order_seq_cst) != 1) return;
  // The last task: wake every waiter. Under the lock, so that a waiter that registers
  // concurrently either sees pending_ == 0 or is in waiters_ when we look.
  std::lock_guard lock(mu_);
  cv_.notify_all();
  for (worker* w : waiters_) w->sched().wake(*w);
}

void group_state::record(std::exception_ptr e) noexcept {
  std::lock_guard lock(mu_);
  if (!error_) error_ = std::move(e);
  cancelled_.store(true, memory_order_relaxed);
}

void group_state::trace_task_end(std::uint64_t segment) noexcept {
  if (segment == 0) return;
  std::lock_guard lock(mu_);
  try {
    trace_ends_.push_back(segment);
  } catch (...) {  // out of memory: the edge is lost, the trace stays valid
  }
}

std::exception_ptr group_state::wait() noexcept {
  const std::uint64_t before = tracing::on() ? tracing::end_segment() : 0;
  std::exception_ptr e = wait_untraced();
  if (tracing::on()) {  // the sync: the continuation follows every task's last segment
    const std::uint64_t after = tracing::begin_segment(nullptr, before);
    std::lock_guard lock(mu_);
    for (std::uint64_t t : trace_ends_) tracing::record(tracing::kind::edge, t, after, nullptr);
    trace_ends_.clear();
  }
  return e;
}

std::exception_ptr group_state::wait_untraced() noexcept {
  worker* w = current_worker();
  if (w != nullptr && &w->sched() == &sched_) {
    {
      std::lock_guard lock(mu_);
      waiters_.push_back(w);
    }
    w->help_until(wait_condition{
        [](const void* self) noexcept { return static_cast<const group_state*>(self)->idle(); },
        this});
    std::lock_guard lock(mu_);
    std::erase(waiters_, w);
  } else {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return idle(); });
  }
  std::lock_guard lock(mu_);
  cancelled_.store(false, memory_order_relaxed);
  return std::exchange(error_, nullptr);
}

}  // namespace detail

task_group::~task_group() {
  if (std::exception_ptr e = state_->wait()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::fprintf(stderr,
                   "brigade::task_group destroyed with an exception nobody waited for: %s\n",
                   ex.what());
    } catch (...) {
      std::fprintf(
          stderr,
          "brigade::task_group destroyed with a non-standard exception nobody waited for\n");
    }
  }
  state_->release();
}

}  // namespace brigade
