// brigade::trace::analysis — what a recorded run says about its own speed, as Cilkview says it.
//
//   analysis a = analyse(read_trace_file("run.json"));
//   a.work_ns / a.span_ns                  // parallelism: the most speedup any core count gives
//   speedup_bound(a, 8).upper              // what 8 cores can give at best
//
// Work T1 is the sum of every segment's length (the root strand's serial parts included); span
// T∞ is the longest path through the segments along the recorded edges, each segment weighing
// its length. Both come from the structure of the computation, not from the wall clock, so a run
// on one core predicts the speedup on many. With dropped events (full buffers) both are lower
// bounds.
#pragma once

#include <brigade/trace_tools/trace_file.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace brigade::trace {

/// Time one thread spent on each kind of thing, over the trace's wall time.
/// Thread safety: a plain value.
struct thread_usage {
  std::uint32_t lane = 0;  // index into trace_file::lanes
  std::size_t segments = 0;
  std::int64_t busy_ns = 0;  // inside segments
  std::int64_t parked_ns = 0;
  std::int64_t io_wait_ns = 0;
  std::int64_t lock_wait_ns = 0;
  std::int64_t comm_wait_ns = 0;  // waits for communication that began on this thread
  std::int64_t sync_wait_ns = 0;  // waits for a signal (semaphore, channel...) begun here
  double utilization = 0;         // busy_ns / wall_ns, 0 when the wall time is 0
};

/// Time spent waiting for one thing (a lock by its name; a signal by what it is: "semaphore",
/// "channel receive"), over all threads.
/// Thread safety: a plain value.
struct wait_usage {
  std::uint32_t label = 0;  // the lock's name, or what was awaited: index into trace_file::labels
  std::size_t waits = 0;
  std::int64_t wait_ns = 0;
  std::int64_t max_wait_ns = 0;
};
using lock_usage = wait_usage;  // its name before it also counted signals

/// The analysis of one trace. All times in nanoseconds.
///
/// Thread safety: a plain value.
struct analysis {
  std::int64_t wall_ns = 0;  // the recording's length
  std::int64_t work_ns = 0;  // T1: the sum of segment lengths
  std::int64_t span_ns = 0;  // T∞: the longest weighted path along the edges
  double parallelism = 0;    // T1 / T∞; 0 when there is no segment (or only empty ones)

  std::size_t segments = 0;
  std::size_t edges = 0;                     // distinct edges between recorded segments
  std::size_t missing_edges = 0;             // edges naming a segment not in the trace (ignored)
  std::vector<std::uint64_t> critical_path;  // segment ids along one longest path, in order
  std::size_t processes = 0;

  std::vector<thread_usage> threads;  // one per lane, in lane order

  std::size_t steals = 0;
  std::size_t parks = 0;
  std::int64_t parked_ns = 0;
  std::size_t io_waits = 0;
  std::int64_t io_wait_ns = 0;
  std::size_t lock_waits = 0;
  std::int64_t lock_wait_ns = 0;
  std::vector<wait_usage> locks;  // the most waited-for first
  /// Waits for communication (brigade::mpi: a blocked thread or a suspended coroutine), and
  /// their lengths summed: concurrent waits of several coroutines each count, so the sum can
  /// exceed the wall time.
  std::size_t comm_waits = 0;
  std::int64_t comm_wait_ns = 0;
  /// Waits for another strand's signal (brigade::sync: a semaphore's permit, a latch, a
  /// barrier's phase, a channel's value or room, a select), summed as comm waits are, and by
  /// what was awaited, the most waited-for first.
  std::size_t sync_waits = 0;
  std::int64_t sync_wait_ns = 0;
  std::vector<wait_usage> syncs;
  std::size_t loop_lags = 0;
  std::int64_t max_loop_lag_ns = 0;
  std::size_t timers = 0;
  std::int64_t max_timer_late_ns = 0;

  std::uint64_t dropped_events = 0;
  /// Whether work and span are only lower bounds (events were dropped while recording).
  bool lower_bounds() const noexcept { return dropped_events > 0; }
};

/// Analyses a trace: work and span over the segment DAG (topological order, iterative, linear
/// in segments + edges), per-thread usage, and the counts of steals, parks, waits and lags.
/// Edges to segments missing from the trace are counted and ignored; so are repeated edges.
///
/// Errors: trace_error naming the segments when the edges form a cycle (a recording bug: a
/// segment cannot wait for itself), or when one process uses a segment id twice.
/// Thread safety: reads t only. Complexity: O(S log S + E log E) for S segments and E edges
/// (sorting the edges to drop repeats); the walk itself is linear.
analysis analyse(const trace_file& t);

/// What P cores can give, from the work and span laws.
/// Thread safety: a plain value.
struct speedup_limits {
  unsigned cores = 0;
  /// min(P, T1/T∞) = T1 / max(T1/P, T∞): no scheduler on P cores does better.
  double upper = 0;
  /// T1 / (T1/P + T∞): what a greedy scheduler (Brent's bound) is guaranteed to reach.
  double greedy = 0;
};

/// The speedup limits on `cores` cores (0 is taken as 1). Zero work gives zeros.
speedup_limits speedup_bound(const analysis& a, unsigned cores) noexcept;

/// A human-readable report of a: wall, work, span, parallelism, speedup bounds, per-thread
/// utilization and the event counts, one fact per line (the lower-bound warning included).
std::string describe(const analysis& a, const trace_file& t);

/// "1.23 ms", "456 µs", "12 ns", "2.50 s": a duration in the unit that reads best.
std::string format_duration(std::int64_t ns);

}  // namespace brigade::trace
