// The machinery under brigade::pipeline that does not depend on the item types: tokens (the
// slots items travel in), serial stages' admission, the source hand-off, and the end of a run.
// The typed part (calling the source and the stages) is pipeline_stages.hpp; the compiled part
// is src/par/pipeline.cpp, which describes the protocol at its top.
#pragma once

#include <brigade/core/detail/atomic.hpp>
#include <brigade/core/detail/resume_context.hpp>
#include <brigade/par/detail/graph_completion.hpp>
#include <brigade/pool/detail/job.hpp>
#include <brigade/pool/detail/scheduler.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace brigade {

/// How a pipeline stage treats the items that reach it.
enum class stage_mode {
  parallel,             ///< any number of items at once, in any order
  serial_in_order,      ///< one item at a time, in the order the source produced them
  serial_out_of_order,  ///< one item at a time, in the order they arrive
};

}  // namespace brigade

namespace brigade::detail {

class pipeline_core;

/// One token: the right to have one item in flight. Its job is embedded, so moving an item
/// from stage to stage allocates nothing; its item lives in the typed pipeline's slot `index`.
/// One per cache line: tokens travel between threads independently.
struct alignas(cache_line) pipeline_token final : job {
  pipeline_token() noexcept : job(&run_token) {}
  static void run_token(job& j) noexcept;  // src/par/pipeline.cpp

  pipeline_core* owner = nullptr;
  std::size_t index = 0;         // the item's slot
  std::uint64_t seq = 0;         // the item's position in the source's order
  std::size_t stage = 0;         // 0: about to call the source; k >= 1: at stage k
  bool admitted = false;         // handed its serial stage by the item before it
  bool async_done = false;       // its coroutine stage finished: leave the stage
  std::uint64_t trace_prev = 0;  // tracing: the last segment of this token's item
};

/// A lock for the pipeline's few-instruction critical sections (the source hand-off, an
/// out-of-order gate). One atomic exchange to lock and a plain release store to unlock: a
/// std::mutex costs two read-modify-writes, which made up most of the per-item overhead.
/// Spins with a pause, then yields, so a preempted holder does not starve its waiters.
class pipeline_lock {
 public:
  void lock() noexcept {
    for (unsigned spins = 0;;) {
      // acquire pairs with unlock()'s release: the previous holder's writes are visible.
      if (!held_.exchange(true, memory_order_acquire)) return;
      while (held_.load(memory_order_relaxed)) {
        if (++spins < 128) {
          cpu_relax();
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  void unlock() noexcept { held_.store(false, memory_order_release); }

 private:
  atomic<bool> held_{false};
};

/// A serial stage's gate.
///
/// In order, without a lock: item number n meets the item before it at meet[n % tokens] (no
/// two items in flight share an index: at most `tokens` consecutive numbers are in flight).
/// The item before, leaving the stage, exchanges in "open for n"; item n, arriving, writes its
/// token to `parked` and exchanges in "n parked". Whoever exchanges second sees the other's
/// mark and continues item n: the arriving item enters, or the leaving one schedules the parked
/// token. One read-modify-write each, and neither side touches the gate after handing item n
/// over (the run may end, and the pipeline be destroyed, as soon as it has). Marks carry the
/// number, so those left over from earlier items at that index never match.
///
/// Out of order: a FIFO of waiting tokens and a busy flag, under `mu`.
struct alignas(cache_line) pipeline_gate {
  // In order: marks are open(n) = 2n, parked(n) = 2n + 1; `none` matches no item. One meeting
  // place per cache line: neighbouring items meet on different threads.
  static constexpr std::uint64_t none = ~std::uint64_t{0};
  struct alignas(cache_line) meeting {
    atomic<std::uint64_t> mark{none};
    pipeline_token* parked = nullptr;  // written before the parked mark
  };
  std::unique_ptr<meeting[]> meet;
  // Out of order; guarded by mu.
  pipeline_lock mu;
  bool busy = false;
  std::size_t head = 0;
  std::size_t count = 0;
  std::vector<pipeline_token*> waiting;  // a ring of `tokens` entries
  std::uint64_t trace_last = 0;          // tracing: the segment of the item that had the stage last
                                 // (written by the admitted item; the hand-off publishes it)
};

enum class stage_outcome { done, pending };

/// The type-independent part of a pipeline. Not thread-safe to run twice at once (checked).
class pipeline_core {
 public:
  /// std::invalid_argument when tokens is 0.
  pipeline_core(std::size_t tokens, std::vector<stage_mode> modes);
  pipeline_core(const pipeline_core&) = delete;
  pipeline_core& operator=(const pipeline_core&) = delete;
  virtual ~pipeline_core();

  std::size_t tokens() const noexcept { return token_count_; }

  /// Runs until the source ends and every item has left the sink; rethrows the first
  /// exception. Helps when called on a worker of s, else sleeps.
  void run_blocking(scheduler& s);
  /// The coroutine form: begin claims the pipeline, start runs from await_suspend, end from
  /// await_resume (releases, rethrows).
  void begin_async();
  void start_async(scheduler& s, std::coroutine_handle<> h, resume_context* where) noexcept;
  void end_run();

  /// From a coroutine stage's driver, on any thread: token t's stage is done, continue it.
  void resume_token(pipeline_token& t) noexcept;
  /// Records an exception (the first one wins) and drains the pipeline.
  void fail(std::exception_ptr e) noexcept;
  /// The event loop that coroutine stages start on (the awaiting coroutine's), or null.
  resume_context* home() const noexcept { return home_; }

 protected:
  /// Calls the source into slot `slot`; false when it has ended. May throw.
  virtual bool produce(std::size_t slot) = 0;
  /// Calls stage `stage` (1-based) on token t's item. pending: a coroutine stage that will
  /// call resume_token(t) when done. May throw (then the item is discarded).
  virtual stage_outcome invoke(std::size_t stage, pipeline_token& t) = 0;
  /// Destroys whatever item is in slot `slot`.
  virtual void discard(std::size_t slot) noexcept = 0;

 private:
  friend struct pipeline_token;

  void claim();
  void reset_for_run() noexcept;
  pipeline_token* advance(pipeline_token& t) noexcept;
  pipeline_token* produce_into(pipeline_token& t) noexcept;
  pipeline_token* leave(pipeline_token& t) noexcept;
  pipeline_token* finish(pipeline_token& t) noexcept;
  bool admit(pipeline_gate& g, stage_mode mode, pipeline_token& t) noexcept;
  pipeline_token* release(pipeline_gate& g, stage_mode mode, std::uint64_t seq) noexcept;
  void schedule(pipeline_token& t) noexcept;

  std::size_t token_count_;
  std::vector<stage_mode> modes_;
  std::unique_ptr<pipeline_token[]> tokens_;
  std::unique_ptr<pipeline_gate[]> gates_;  // one per stage; used by serial ones

  // The source: one caller at a time. Guarded by source_mu_.
  pipeline_lock source_mu_;
  bool source_busy_ = false;    // a token is calling the source or is scheduled to
  bool source_closed_ = false;  // the source ended (or a failure stopped it)
  std::uint64_t next_seq_ = 0;
  std::vector<pipeline_token*> free_;  // capacity token_count_: never reallocates

  scheduler* sched_ = nullptr;
  resume_context* home_ = nullptr;
  atomic<bool> running_{false};  // claims the pipeline; acquire/release around a run
  // Set by the first failure; read relaxed as a hint to stop calling user code. The winner's
  // write of error_ reaches the waiter through source_mu_ and completion_.
  atomic<bool> failed_{false};
  std::exception_ptr error_;
  run_completion completion_;

  // Tracing, as the program's DAG: item i's stage k follows its stage k - 1 and, in a serial
  // stage, item i - 1's stage k; each source call follows the previous one; the caller goes on
  // after every item. The bound on items in flight is left out, as a core count is: a
  // resource, not a dependency. 0: not traced.
  std::uint64_t trace_source_last_ = 0;  // guarded by source ownership (source_mu_)
  std::uint64_t trace_join_ = 0;         // reserved id of the caller's continuation
  std::uint64_t trace_caller_ = 0;
  void trace_to_join(std::uint64_t segment) noexcept;
};

}  // namespace brigade::detail
