// The inside of an event loop: the posted-work queue, the timers (a timing wheel), the run
// loop, and the resumption rules every backend follows (see README.md).
#pragma once

#include <brigade/core/detail/resume_context.hpp>
#include <brigade/io/event_loop.hpp>

#include "intrusive_fifo.hpp"
#include "reactor.hpp"
#include "timer_wheel.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace brigade::detail {

class loop_core final : public resume_context {
 public:
  loop_core(event_loop& owner, io_backend which);
  ~loop_core();

  event_loop& owner() noexcept { return owner_; }
  reactor& backend() noexcept { return *reactor_; }
  io_backend kind() const noexcept { return kind_; }

  /// Any thread.
  void post(post_node& n) noexcept;
  /// Any thread: hands op to the loop thread through op.next. Not yet submitted: it starts
  /// there (a submission from another thread). Submitted, with its result set: it finishes
  /// there (a file transfer that ran on a pool thread; the queue's mutex publishes the result).
  void post_op(io_op& op) noexcept;
  /// Any thread: a cancellation claimed by loop_core::claim (cancel_op) goes to the loop
  /// thread through op.cancel_next.
  void post_cancel(io_op& op) noexcept;
  bool submit(io_op& op) noexcept;
  void request_stop() noexcept;
  /// Claims op for cancellation from the loop thread (as cancel_op does from anywhere).
  static bool claim(io_op& op) noexcept;

  /// Loop thread: the I/O of op is over with `result`; resumes it per the rules.
  void finish(io_op& op, std::int64_t result) noexcept;

  /// Runs the loop on the calling thread until stop is requested. std::logic_error if the
  /// loop is running already (on another thread, or this one further up the stack).
  void run();

  /// Runs the loop on the calling thread: resumes `root`, then runs until `finished`. If the
  /// loop is stopped first, requests `stop` and keeps turning, cancelling every operation
  /// pending on the loop at each turn, until `finished`. std::logic_error as run().
  void run_root(std::coroutine_handle<> root, const bool& finished, std::stop_source& stop);

  /// Any thread: resumes h on the loop's thread (allocates one node; when that fails, takes
  /// one of reserve_nodes made with the loop, and terminates only when they are all queued).
  void resume_later(std::coroutine_handle<> h, std::uint64_t trace_after = 0) noexcept override;
  static constexpr std::size_t reserve_nodes = 64;

  /// Cancels every pending operation and runs posted work until quiet (destruction).
  void drain() noexcept;

 private:
  void start_on_loop(io_op& op) noexcept;
  void cancel_on_loop(io_op& op) noexcept;
  void make_ready(io_op& op) noexcept;
  bool run_ready() noexcept;  // true if it resumed anything
  // Around every resumption on the loop: tracing segments, and the "you blocked the chef"
  // detector (steps longer than BRIGADE_WARN_BLOCKING_MS are reported once per label).
  void step_begin(const char* label, std::uint64_t after) noexcept;
  void step_end(const char* label) noexcept;
  void report_blocking(const char* label, std::int64_t took_ms) noexcept;
  static std::int64_t coarse_now_ms() noexcept;
  bool run_posted() noexcept;  // true if it ran anything
  // The loop body shared by run() and run_root(); `cancelling`: see run_root.
  void turn_until(const bool* finished, bool cancelling);
  // Claims the loop for the calling thread (std::logic_error if taken); release gives it up.
  void claim_run();
  void release_run() noexcept;
  bool cancel_all_pending() noexcept;  // true if any operation was still pending
  void fire_timers() noexcept;
  std::int64_t wait_timeout() const noexcept;

  event_loop& owner_;
  unsigned number_;                // 0 for the first loop created: names its thread in traces
  std::int64_t warn_blocking_ms_;  // 0: off
  io_backend kind_;
  std::unique_ptr<reactor> reactor_;

  // Appends n to q under post_mu_ and wakes the loop if it may be blocked (any thread).
  template <class T, T* T::*Link>
  void enqueue(intrusive_fifo<T, Link>& q, T& n) noexcept;

  std::mutex post_mu_;  // guards the three queues
  intrusive_fifo<post_node, &post_node::next> posted_;
  intrusive_fifo<io_op, &io_op::next> posted_ops_;            // post_op's
  intrusive_fifo<io_op, &io_op::cancel_next> cancellations_;  // post_cancel's
  // True while the loop thread may block in the backend; posters wake it only then.
  // seq_cst with the poster's queue insert (under the mutex) on one side and the loop's
  // re-check of the queue on the other: one of them sees the other.
  std::atomic<bool> waiting_{false};
  std::atomic<bool> stop_{false};
  // True while a thread runs the loop. acq_rel exchange: a second runner sees the first's
  // claim; the release at the end orders the loop's state before the next runner's claim.
  std::atomic<bool> running_{false};

  timer_wheel timers_{event_loop::now_ns()};
  std::size_t pending_ops_ = 0;  // started and not yet resumed (loop thread)
  io_op* ready_head_ = nullptr;  // finished ops to resume, FIFO through io_op::next
  io_op* ready_tail_ = nullptr;
  io_op* inline_op_ = nullptr;  // op being submitted inline: finish() must not queue it
  bool inline_done_ = false;
  event_loop* outer_loop_ = nullptr;  // the thread's loop before run() (restored after)
  resume_context* outer_context_ = nullptr;
  const char* name_ = nullptr;  // "loop N", interned: the thread's name in traces while it runs
  std::int64_t step_start_ = 0;
  std::uint64_t last_step_ = 0;  // tracing: the loop's previous step (its steps form a chain)
  std::vector<const void*> blocking_reported_;

  struct later_node;
  void give_back(later_node& n) noexcept;
  post_node* spare_ = nullptr;  // the reserve's free nodes, through next; guarded by post_mu_
  std::unique_ptr<later_node[]> reserve_;
};

}  // namespace brigade::detail
