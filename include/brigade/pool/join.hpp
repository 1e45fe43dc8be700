// brigade::join and brigade::parallel_invoke — fork-join without allocation.
//
// join(f, g) runs f on the calling worker and offers g to thieves; if nobody took g by the
// time f returns, the caller runs g itself. Use join for recursive divide and conquer
// (quicksort, tree walks, fib); use parallel_invoke for a handful of independent calls; use
// task_group when the number of tasks is only known while running.
#pragma once

#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/pool/detail/job.hpp>
#include <brigade/pool/detail/scheduler.hpp>
#include <brigade/pool/pool.hpp>

#include <exception>
#include <utility>

namespace brigade {
namespace detail {

/// How a fork was traced: not at all (tracing was off), recorded (three events), or collapsed
/// (deeper than the fork-depth limit: recorded only if stolen).
enum class fork_trace : std::uint8_t { none, recorded, collapsed };

/// A forked branch of join(): lives on the forking worker's stack. Runs either inline on the
/// forker (never stolen: no atomics beyond the deque) or on a thief, which then sets `done_`.
template <class G>
class fork_job final : public job {
 public:
  fork_job(G& g, worker& forker) noexcept : job(&run_stolen), g_(g), forker_(forker) {}

  /// The forker calls this when it popped the job back: just runs g here.
  value_of_t<G> run_inline() { return call_value(g_); }

  /// The forker calls this when a thief took the job: helps until the thief is done, then
  /// returns g's result or rethrows its exception.
  value_of_t<G> join_stolen() {
    forker_.help_until(wait_condition{&is_done, this});
    return outcome_.take();
  }

  /// Waits (helping) until the thief finished g, dropping its outcome: f's exception wins.
  void wait_stolen() noexcept {
    forker_.help_until(wait_condition{&is_done, this});
    outcome_.drop();
  }

 private:
  static bool is_done(const void* self) noexcept {
    // seq_cst pairs with run_stolen's seq_cst store: see scheduler::park.
    return static_cast<const fork_job*>(self)->done_.load(memory_order_seq_cst) != 0;
  }

  static void run_stolen(job& j) noexcept {
    auto& self = static_cast<fork_job&>(j);
    // Only the recording forms of join_on set trace_mode.
    const bool traced = tracing::on() && self.trace_mode != fork_trace::none;
    const char* outer_label = nullptr;
    std::uint32_t outer_depth = 0;
    if (traced) {
      outer_label = tracing::set_current_label(self.trace_label);
      outer_depth = tracing::this_thread.fork_depth;
      tracing::this_thread.fork_depth = self.trace_depth;  // g is as deep here as at its fork
      if (self.trace_mode == fork_trace::collapsed)
        tracing::begin_stolen_branch(self.trace_parent);
      else
        tracing::begin_segment(nullptr, self.trace_parent);
    }
    self.outcome_.run(self.g_);
    if (traced) {
      self.trace_last = tracing::end_segment();
      tracing::set_current_label(outer_label);
      tracing::this_thread.fork_depth = outer_depth;
    } else if (self.trace_mode != fork_trace::none) {
      self.trace_last = 0;  // tracing stopped after the fork: the forker still reads it
    }
    worker& forker = self.forker_;  // read before done_: *this may die right after
    // seq_cst: the forker's park() announces sleep then re-reads done_; with this store and
    // wake()'s seq_cst read of the sleep word, one of us sees the other. Also publishes
    // result_ and error_ (release) to the forker's load in is_done (acquire).
    self.done_.store(1, memory_order_seq_cst);
    forker.sched().wake(forker);
  }

  G& g_;
  worker& forker_;
  // Written only by a thief; a fork that is never stolen (nearly all) never touches it.
  outcome<value_of_t<G>> outcome_;
  atomic<unsigned> done_{0};

 public:
  // Tracing only (written by the forker before the push, by the thief before done_). Only
  // trace_mode is initialized: the others are read only when it says the fork was traced, and
  // an untraced fork (every fork while tracing is off) saves their stores.
  fork_trace trace_mode = fork_trace::none;
  std::uint32_t trace_depth;   // the branches' fork depth
  std::uint64_t trace_parent;  // the segment that forked
  std::uint64_t trace_last;    // g's last segment, wherever it ran (written by the thief)
  const char* trace_label;
};

/// While a join's branches run, the calling thread's fork depth is one more (tracing only).
class fork_depth_scope {
 public:
  explicit fork_depth_scope(std::uint32_t depth) noexcept
      : outer_(tracing::this_thread.fork_depth) {
    tracing::this_thread.fork_depth = depth;
  }
  fork_depth_scope(const fork_depth_scope&) = delete;
  fork_depth_scope& operator=(const fork_depth_scope&) = delete;
  ~fork_depth_scope() { tracing::this_thread.fork_depth = outer_; }

 private:
  std::uint32_t outer_;
};

/// Takes `forked` back from the bottom of w's deque. Whatever f pushed and waited for is gone
/// from the deque by now, so the bottom is `forked` unless a thief took it; jobs f pushed
/// without waiting (a task_group that outlives f) sit above it and run first, as their owner
/// would. Returns false when a thief has it.
inline bool reclaim(worker& w, job& forked) noexcept {
  for (job* top = w.pop(); top != nullptr; top = w.pop()) {
    if (top == &forked) return true;
    top->execute();
  }
  return false;
}

/// Runs f while `forked` (g) waits in w's deque. If f throws, g must not outlive the frame it
/// lives in: it is skipped if still queued, else awaited, before the exception goes on. A
/// handler rather than a guard object: the path where f returns stores nothing for it. Always
/// inlined: GCC keeps a function with a handler out of line, and the call costs more than the
/// stores saved.
template <class F, class G>
[[gnu::always_inline]] inline value_of_t<F> run_first(worker& w, F& f, fork_job<G>& forked) {
  try {
    return call_value(f);
  } catch (...) {
    if (!reclaim(w, forked)) forked.wait_stolen();
    throw;
  }
}

/// join_on while recording a trace: the forking segment ends, f and g each start a segment
/// after it, and the continuation starts a segment after both of their last ones. Each switch
/// from one segment to the next is one begin_segment (one event) when g is not stolen: three
/// events per fork.
template <class F, class G>
[[gnu::noinline, gnu::cold]] std::pair<value_of_t<F>, value_of_t<G>> join_on_traced(worker& w, F& f,
                                                                                    G& g) {
  fork_job<G> forked(g, w);
  // From untraced code, the fork gets a point (a segment) of its own.
  forked.trace_parent = tracing::fork_point(&forked.trace_label);
  forked.trace_depth = tracing::this_thread.fork_depth + 1;
  forked.trace_mode = fork_trace::recorded;
  fork_depth_scope depth(forked.trace_depth);
  // Ends the parent before g is offered: a thief starts g's segment after it (else its edge
  // from the parent could end before the parent does).
  tracing::begin_segment(nullptr, forked.trace_parent);
  const bool offered = w.try_push(&forked);  // see join_on
  value_of_t<F> a = offered ? run_first(w, f, forked) : call_value(f);
  if (!offered || reclaim(w, forked)) {
    const std::uint64_t f_last = tracing::begin_sibling(forked.trace_parent);
    value_of_t<G> b = forked.run_inline();
    tracing::begin_continuation(f_last);  // after g's last segment too, which it ends
    return {std::move(a), std::move(b)};
  }
  // f's last segment ends before this worker helps (runs other jobs) while g finishes.
  const std::uint64_t f_last = tracing::end_segment();
  value_of_t<G> b = forked.join_stolen();
  tracing::begin_segment(nullptr, f_last, forked.trace_last);
  return {std::move(a), std::move(b)};
}

/// join_on while recording, for a fork deeper than fork_depth_limit: nothing is recorded unless
/// a thief takes g. Then the thief's segment starts after the part of the forking segment that
/// ran before it took g (a fork_edge), and the continuation after both, as in join_on_traced.
template <class F, class G>
[[gnu::noinline, gnu::cold]] std::pair<value_of_t<F>, value_of_t<G>> join_on_collapsed(worker& w,
                                                                                       F& f, G& g) {
  fork_job<G> forked(g, w);
  forked.trace_parent = tracing::this_thread.segment;
  forked.trace_label = tracing::this_thread.label;
  // At or past the limit, every fork below is collapsed too: the depth need not grow (the
  // thief only needs one at or past the limit), which saves its bookkeeping on every fork.
  forked.trace_depth = tracing::this_thread.fork_depth;
  forked.trace_mode = fork_trace::collapsed;
  const bool offered = w.try_push(&forked);  // see join_on
  value_of_t<F> a = offered ? run_first(w, f, forked) : call_value(f);
  if (!offered || reclaim(w, forked)) {
    value_of_t<G> b = forked.run_inline();
    return {std::move(a), std::move(b)};
  }
  const std::uint64_t f_last = tracing::end_segment();
  value_of_t<G> b = forked.join_stolen();
  tracing::begin_segment(nullptr, f_last, forked.trace_last);
  return {std::move(a), std::move(b)};
}

/// join on a known worker of the pool that runs it. The recording forms above are out of line
/// (noinline, cold): inlined here, their frame and saved registers were set up by every fork,
/// traced or not (0.4 of 6 ns per fork, bench/RESULTS.md).
template <class F, class G>
std::pair<value_of_t<F>, value_of_t<G>> join_on(worker& w, F& f, G& g) {
  if (tracing::on()) {
    if (tracing::record_this_fork()) return join_on_traced(w, f, g);
    return join_on_collapsed(w, f, g);
  }
  fork_job<G> forked(g, w);
  // A deque that is full and cannot grow (no memory for a bigger ring) does not take g: then f
  // and g run here, one after the other, which join allows.
  if (!w.try_push(&forked)) [[unlikely]] {
    value_of_t<F> a = call_value(f);
    value_of_t<G> b = call_value(g);
    return {std::move(a), std::move(b)};
  }
  value_of_t<F> a = run_first(w, f, forked);
  if (reclaim(w, forked)) {
    value_of_t<G> b = forked.run_inline();
    return {std::move(a), std::move(b)};
  }
  value_of_t<G> b = forked.join_stolen();
  return {std::move(a), std::move(b)};
}

}  // namespace detail

/// Runs f and g, potentially in parallel, and returns both results as a pair (a void result
/// is std::monostate).
///
/// f runs on the calling thread's worker; g is offered to other workers and runs on the caller
/// too if nobody took it. Waiting for a stolen g never blocks a worker: it runs other jobs
/// meanwhile. Called from outside any pool, the whole join runs on pool::global() and the
/// caller sleeps until it is done.
///
/// Errors: if f throws, g is skipped when it has not started, else awaited; then f's exception
/// is rethrown. If only g throws, g's exception is rethrown. When both throw, f's wins and g's
/// is destroyed.
///
/// Thread safety: f and g may run concurrently on different threads; they must not race on
/// shared data.
template <class F, class G>
auto join(F&& f, G&& g) {
  if (detail::worker* w = detail::current_worker()) return detail::join_on(*w, f, g);
  auto whole = [&] { return detail::join_on(*detail::current_worker(), f, g); };
  return detail::run_on(detail::pool_access::of(pool::global()), whole);
}

/// join(f, g) on pool p: inline when the caller is one of p's workers, else sent to p.
template <class F, class G>
auto join(pool& p, F&& f, G&& g) {
  auto whole = [&] { return detail::join_on(*detail::current_worker(), f, g); };
  return detail::run_on(detail::pool_access::of(p), whole);
}

namespace detail {
template <class F, class... Rest>
void invoke_all(worker& w, F& f, Rest&... rest) {
  if constexpr (sizeof...(Rest) == 0) {
    f();
  } else {
    auto others = [&] { invoke_all(*current_worker(), rest...); };
    join_on(w, f, others);
  }
}
}  // namespace detail

/// Calls every function, potentially in parallel, and returns when all are done. The first
/// argument runs on the caller's worker. Errors: as for a chain of join: the leftmost
/// function's exception wins; functions to its right that had not started are skipped.
template <class... Fs>
void parallel_invoke(Fs&&... fs) {
  static_assert(sizeof...(Fs) >= 1, "parallel_invoke needs at least one function");
  if (detail::worker* w = detail::current_worker()) return detail::invoke_all(*w, fs...);
  auto whole = [&] { detail::invoke_all(*detail::current_worker(), fs...); };
  detail::run_on(detail::pool_access::of(pool::global()), whole);
}

/// parallel_invoke on pool p.
template <class... Fs>
void parallel_invoke(pool& p, Fs&&... fs) {
  static_assert(sizeof...(Fs) >= 1, "parallel_invoke needs at least one function");
  auto whole = [&] { detail::invoke_all(*detail::current_worker(), fs...); };
  detail::run_on(detail::pool_access::of(p), whole);
}

}  // namespace brigade
