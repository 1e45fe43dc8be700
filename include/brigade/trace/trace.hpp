// brigade::trace — record what really ran on which thread, and when.
//
//   BRIGADE_TRACE=run.json ./my_program      // any brigade program: written at exit (and on
//                                            // SIGUSR2; BRIGADE_TRACE_MODE=ring: the last events)
//   brigade::trace::start(); ...; brigade::trace::stop("run.json");   // or in code
//   brigade trace run.json                   // draw and analyse it (the command line)
//
// The file is Chrome Trace Event JSON: it opens in Perfetto (ui.perfetto.dev) and
// chrome://tracing, and carries brigade's fork/join edges so `brigade trace` can compute work,
// span and parallelism exactly as Cilkview does.
#pragma once

#include <brigade/core/detail/trace_hooks.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace brigade::trace {

/// How a recording keeps events: each thread has a bounded buffer.
struct start_options {
  /// false: keep each thread's first events and count the rest as dropped (a run from start
  /// to end). true: keep each thread's last events, overwriting the oldest (a server that runs
  /// for days: flush() or a signal writes its recent past). BRIGADE_TRACE_MODE=ring sets it
  /// for BRIGADE_TRACE.
  bool ring = false;
  /// Events per thread (40 bytes each); 0: BRIGADE_TRACE_EVENTS, else 262,144.
  std::size_t events_per_thread = 0;
  /// Forks (join, parallel_invoke, and the splits of loops with a grain) nested this deep or
  /// deeper in one task tree are recorded only when a thief takes their branch; the work below
  /// them counts in the segment that forked (work exact, span an upper bound: see
  /// src/trace/README.md). Empty: BRIGADE_TRACE_FORK_DEPTH, else 16 (fib(32) then records about
  /// 65,000 of its 3.5 million forks). A large value records every fork.
  std::optional<std::uint32_t> fork_depth;
};

/// Starts recording (clears what an earlier recording left). The calling thread becomes the
/// root strand: its own computation until the first parallel region counts as work and span.
/// Errors: std::logic_error when brigade was built with BRIGADE_ENABLE_TRACING=OFF.
void start();
void start(const start_options& options);

/// Stops recording and writes the trace to path. Returns the number of events written.
/// std::system_error if the file cannot be written; std::logic_error if not recording.
std::size_t stop(const std::string& path);

/// Writes what is recorded so far to path and goes on recording (segments still running are
/// left out). Thread safety: any thread, while others record. Errors: as stop().
std::size_t flush(const std::string& path);

/// From now on, the signal `signo` makes a thread of brigade's write the trace to path, as
/// flush() (replacing the signal's handler; the handler itself only wakes that thread, so it
/// is async-signal-safe). With BRIGADE_TRACE=FILE set, SIGUSR2 is installed this way at start.
/// Errors: std::invalid_argument for a number that is no signal; std::system_error when the
/// handler cannot be installed.
void flush_on_signal(int signo, const std::string& path);

/// Names this process as rank `rank` of a multi-process run (one brigade runtime per MPI rank;
/// brigade::mpi calls it right after MPI is initialised). From then on every trace file this
/// process writes — at exit for BRIGADE_TRACE=FILE, on SIGUSR2, and the paths given to stop(),
/// flush() and flush_on_signal() — gets ".rankR" before its extension (run.json ->
/// run.rank0.json, run -> run.rank0, dir.x/run -> dir.x/run.rank0), and the file records the
/// rank (otherData.rank, and "rank R" as the process's name in Perfetto), so that
/// `brigade trace run.rank*.json` merges the ranks into one timeline.
/// Errors: std::invalid_argument naming the value when rank < 0.
/// Thread safety: any thread; a file being written while it is called may get either name.
void set_rank(int rank);

/// The rank set by set_rank(), or -1 when none was.
int rank() noexcept;

/// path with ".rankR" inserted before the extension of its file name (the last '.' after the
/// last '/', not a leading one); unchanged when rank < 0.
std::string ranked_path(const std::string& path, int rank);

/// The path a trace of this process given `path` is written to: ranked_path(path, rank()).
std::string ranked_path(const std::string& path);

/// Whether recording is on.
inline bool enabled() noexcept {
  return detail::tracing::on();
}

/// Events lost so far because a thread's buffer was full (also written into the file).
std::uint64_t dropped();

/// A stable copy of label for the lifetime of the process (labels must outlive the trace).
const char* intern(std::string_view label);

/// Wraps f so that, while it runs, the trace shows `label` on its segments:
/// `brigade::join(trace::named("chop onions", chop), trace::named("stir", stir))`.
/// label must live as long as the program (a string literal, or intern()).
template <class F>
auto named(const char* label, F&& f) {
  return [label, fn = std::forward<F>(f)]() mutable -> std::invoke_result_t<std::decay_t<F>&> {
    const char* outer = detail::tracing::set_current_label(label);
    struct restore {
      const char* outer;
      ~restore() { detail::tracing::set_current_label(outer); }
    } r{outer};
    if (detail::tracing::on()) {
      // Give the label its own segment, so the trace shows where it starts.
      const std::uint64_t before = detail::tracing::end_segment();
      detail::tracing::begin_segment(label, before);
    }
    return fn();
  };
}

}  // namespace brigade::trace
