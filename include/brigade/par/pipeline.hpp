// brigade::pipeline — a stream of items through stages, with a bound on items in flight.
//
//   brigade::pipeline p(8,                                        // at most 8 items in flight
//       [&]() -> std::optional<line> { return next_line(in); },   // the source; nullopt ends it
//       brigade::stage(brigade::stage_mode::parallel, parse),     // any number at once
//       brigade::stage(brigade::stage_mode::serial_in_order, [&](record r) { out.write(r); }));
//   p.run();                          // plain code: blocks
//   co_await p.run_async(pool);       // a coroutine: suspends, resumes on its loop
//
// Use a pipeline when items arrive one after another (lines of a file, frames, requests) and
// each goes through the same steps, some of which must see the items one at a time or in
// order. For a whole collection at once, parallel_map or parallel_for is simpler; for a fixed
// set of tasks with dependencies, task_graph.
#pragma once

#include <brigade/core/detail/resume_context.hpp>
#include <brigade/par/detail/pipeline_core.hpp>
#include <brigade/par/detail/pipeline_stages.hpp>
#include <brigade/pool/pool.hpp>

#include <coroutine>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace brigade {

/// Describes one stage: `f(item)` returns the item for the next stage; the last stage, the
/// sink, returns void. f may be a coroutine returning brigade::task<U> (a stage that waits on
/// I/O): it starts on the event loop that awaits run_async(), or on the worker otherwise.
template <class F>
detail::stage_def<std::decay_t<F>> stage(stage_mode mode, F&& f) {
  return {mode, std::forward<F>(f)};
}

/// A source, one or more stages, and at most `tokens` items in flight, run on a pool.
///
/// Semantics: the source (`std::optional<T>()`) is called by one thread at a time and numbers
/// the items in the order it returns them; std::nullopt ends the stream. Each item then goes
/// through the stages in turn. A parallel stage runs any number of items at once; a serial
/// stage runs one at a time, in the source's order (serial_in_order) or in arrival order
/// (serial_out_of_order). Whatever the source's speed, at most `tokens` items exist between
/// the source and the end of the sink: the source is not called while they all are in flight.
///
/// Errors: the first exception (from the source or a stage) is rethrown by run(); after it the
/// source and the stages are not called again (calls already running finish, coroutine stages
/// included: they are not cancelled), and every item in flight is destroyed. The pipeline may
/// be run again (the source is simply called again).
///
/// Thread safety: a pipeline runs once at a time (a concurrent run throws std::logic_error);
/// its stages are called from many threads (a serial stage never concurrently with itself).
/// Memory ordering: everything a stage did to an item happens before the next stage sees it;
/// everything a serial stage did for one item happens before it runs for the next; everything
/// happens before run() returns.
template <class Source, class... Fs>
class pipeline {
 public:
  /// std::invalid_argument when tokens is 0. Allocates the tokens and item slots once.
  pipeline(std::size_t tokens, Source source, detail::stage_def<Fs>... stages)
      : core_(std::make_unique<detail::typed_pipeline<Source, Fs...>>(tokens, std::move(source),
                                                                      std::move(stages)...)) {}

  /// Runs until the source ends and the sink has seen every item, on the calling worker's pool
  /// or on pool::global(); rethrows the first exception.
  /// Blocking: on a worker of that pool the caller helps until done; elsewhere it sleeps.
  /// Complexity: per item, one call of each stage, a lock per serial stage and per source
  /// call, and a deque push or two; nothing is allocated per item.
  void run() { core_->run_blocking(detail::ambient_scheduler()); }
  /// run() on pool p.
  void run(pool& p) { core_->run_blocking(detail::pool_access::of(p)); }

  /// `co_await p.run_async(pool)`: runs the pipeline on pool; the coroutine resumes on its
  /// event loop's thread (if awaited from one) when the run is over. Coroutine stages start on
  /// that loop. Errors as for run(), thrown by the co_await.
  class run_awaiter {
   public:
    run_awaiter(detail::pipeline_core& c, detail::scheduler& s) noexcept : c_(c), s_(s) {}
    bool await_ready() {
      c_.begin_async();
      return false;
    }
    void await_suspend(std::coroutine_handle<> h) noexcept {
      c_.start_async(s_, h, detail::current_resume_context());
    }
    void await_resume() { c_.end_run(); }

   private:
    detail::pipeline_core& c_;
    detail::scheduler& s_;
  };
  [[nodiscard]] run_awaiter run_async(pool& p) {
    return run_awaiter{*core_, detail::pool_access::of(p)};
  }
  [[nodiscard]] run_awaiter run_async() { return run_awaiter{*core_, detail::ambient_scheduler()}; }

  /// The bound on items in flight.
  std::size_t tokens() const noexcept { return core_->tokens(); }

 private:
  std::unique_ptr<detail::typed_pipeline<Source, Fs...>> core_;
};

template <class Source, class... Fs>
pipeline(std::size_t, Source, detail::stage_def<Fs>...) -> pipeline<Source, Fs...>;

/// Builds a pipeline and runs it once (TBB's parallel_pipeline): see pipeline.
template <class Source, class... Fs>
void parallel_pipeline(std::size_t tokens, Source&& source, detail::stage_def<Fs>... stages) {
  pipeline<std::decay_t<Source>, Fs...>(tokens, std::forward<Source>(source), std::move(stages)...)
      .run();
}

/// parallel_pipeline on pool p.
template <class Source, class... Fs>
void parallel_pipeline(pool& p, std::size_t tokens, Source&& source,
                       detail::stage_def<Fs>... stages) {
  pipeline<std::decay_t<Source>, Fs...>(tokens, std::forward<Source>(source), std::move(stages)...)
      .run(p);
}

}  // namespace brigade
