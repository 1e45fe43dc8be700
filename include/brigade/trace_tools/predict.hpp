// brigade::trace::predict — how long the recorded program would take on P workers, from its
// trace: the segment DAG replayed by a greedy scheduler (a ready segment starts on the worker
// free earliest), burdened with the measured cost of moving work to another worker (as
// Cilkview's burdened span), and "what if" a part were faster.
//
//   auto p = predict(read_trace_file("run.json"), {1, 2, 4, 8, 16});
//   p.at[2].seconds()                       // the predicted wall time on 4 workers
//   predict(t, {8}, {.what_ifs = {{"decode", 0.5}}})   // decode twice as fast: worth it?
//
// A loop piece that ran its iterations in a row (args.units) is split over up to P workers in
// the replay, as the loop would at P. Replays the recorded durations: a program whose parts
// slow down when run together (memory bandwidth, a shared lock) is predicted too fast.
//
// Waits are latency, not work. Where the recording shows a thread waiting for I/O (a loop
// blocked in epoll or io_uring: a timer, a socket), for communication or for another strand's
// signal (a semaphore, latch, barrier, channel or select; where the recording has the hand-off
// as an edge, only the wake-up after it is left) between a segment's last predecessor and the
// segment, on either one's thread, the segment was waiting for what
// ended the last such wait: it becomes ready that long after the predecessor ends, whatever P
// is, and the wait holds no worker (a coroutine that waits frees its thread). A timer is exact:
// the trace names the segment its sleeper ran before it slept, so the deadline stays even when
// the loop was busy, not waiting, when it came. Another event (a socket, a message) that came
// while the thread was busy leaves a shorter wait than it was, and a thread that blocked in a
// system call without telling the trace shows none, so such programs are predicted too fast.
#pragma once

#include <brigade/trace_tools/trace_file.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace brigade::trace {

/// Every segment labelled `label` takes `factor` times its recorded time (0.5: twice as fast).
struct what_if {
  std::string label;
  double factor = 1;
};

struct prediction_options {
  std::vector<what_if> what_ifs{};
  /// The delay before a segment starts on a worker other than the one that made it ready.
  /// Negative (the default): measured from the trace, as the median gap along the edges that
  /// cross threads, each segment's edge from its last predecessor only (the one that made it
  /// ready; the gap after an earlier one includes waiting for the rest). 0 when none crosses.
  std::int64_t burden_ns = -1;
};

struct prediction {
  unsigned workers = 0;
  std::int64_t predicted_ns = 0;  ///< the greedy replay's wall time
  double seconds() const noexcept { return static_cast<double>(predicted_ns) * 1e-9; }
};

struct predictions {
  std::int64_t burden_ns = 0;  ///< the burden used (measured or given)
  std::int64_t waits_ns = 0;   ///< the recorded waits kept on edges, summed (0: none)
  std::vector<prediction> at;  ///< one per requested worker count, in the order asked
};

/// Replays t's segment DAG at each worker count. Segments with no recorded predecessor become
/// ready when they started in the recording.
///
/// A greedy replay is a list schedule, so it has Graham's anomalies: making some segments
/// shorter (a what-if below 1) can change which ready segment a worker takes and end the replay
/// slightly later, by a fraction of a segment. Read a what-if as "about this much", not as a
/// bound.
///
/// Errors: std::invalid_argument naming the value for a worker count of 0, a what-if factor
/// that is negative or not finite, or a what-if label that no segment has; trace_error as
/// analyse() for a malformed DAG (a cycle, a repeated segment id).
/// Complexity: O((S + E) log S + S log P) per worker count, for S segments and E edges, and
/// O(W log W + S log W) once for the W recorded waits.
predictions predict(const trace_file& t, const std::vector<unsigned>& workers,
                    const prediction_options& options = {});

}  // namespace brigade::trace
