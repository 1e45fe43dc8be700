// brigade::trace::trace_file — a recorded trace read back into memory, for analysis and drawing.
//
//   trace_file t = read_trace_file("run.json");     // what brigade::trace::stop() wrote
//   analysis a = analyse(t);                        // work, span, parallelism (analysis.hpp)
//   std::cout << draw_timeline(t, {.width = 100});  // one lane per thread (timeline.hpp)
//
// The reader knows brigade's own Chrome Trace Event JSON (src/trace/README.md describes it) and
// nothing else. It streams the events through nlohmann-json's SAX parser (no document tree, so
// memory follows the events kept, not the text) and takes ids and times as exact integers.
// Several recordings (several processes: the MPI ranks of one run, each written by
// brigade::trace::set_rank's process as run.rankR.json) merge into one trace_file with
// merge_trace_files(); each process keeps its own segment ids.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace brigade::trace {

/// A trace that cannot be read: not JSON (the message gives line and column), not a brigade
/// trace, or inconsistent (a cycle among its edges, a segment id used twice).
class trace_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One thread of one process: a lane of the timeline.
struct trace_lane {
  std::uint32_t process = 0;  // index into the merged processes (0 for a single recording)
  std::int64_t pid = 0;       // as recorded
  std::int64_t tid = 0;       // as recorded: a small index per recording
  std::string name;           // "main", "worker 3", "loop 0"; "thread <tid>" when unnamed
};

/// A stretch of one thread running one strand without forking or waiting.
struct trace_segment {
  std::uint64_t id = 0;     // unique within its process
  std::uint32_t lane = 0;   // index into trace_file::lanes
  std::uint32_t label = 0;  // index into trace_file::labels
  std::int64_t begin_ns = 0;
  std::int64_t end_ns = 0;
  /// A piece of a loop that split no further in this run but logically could: the independent
  /// iterations it ran (its share of the span is one of them). 1 for every other segment.
  std::uint64_t units = 1;
  std::int64_t duration_ns() const noexcept { return end_ns - begin_ns; }
};

/// Segment `to` could not start before segment `from` ended (ids of one process).
struct trace_edge {
  std::uint32_t process = 0;
  std::uint64_t from = 0;
  std::uint64_t to = 0;
};

/// A stretch of time a thread spent not computing. A comm_wait (waiting for communication, e.g.
/// an MPI receive), a coroutine's lock_wait (async_mutex) and a sync_wait (waiting for another
/// strand's signal: a semaphore, latch, barrier, channel or select) sit on the lane where the
/// wait began; a coroutine's wait may end on another thread, and the thread may run other
/// segments meanwhile.
struct trace_slice {
  enum class kind : std::uint8_t { parked, io_wait, lock_wait, comm_wait, sync_wait };
  kind what = kind::parked;
  std::uint32_t lane = 0;
  std::uint32_t label = 0;  // the lock's name (lock_wait), what is awaited (comm_wait,
                            // sync_wait); index into trace_file::labels
  std::int64_t begin_ns = 0;
  std::int64_t end_ns = 0;
};

/// A point event.
struct trace_mark {
  enum class kind : std::uint8_t { steal, timer, loop_lag };
  kind what = kind::steal;
  std::uint32_t lane = 0;
  std::int64_t time_ns = 0;
  std::uint64_t value = 0;  // steal: the victim's index; timer: lateness ns; loop lag: ns
  /// timer: the segment its waiter ran before it went to sleep (an id of the mark's process; 0:
  /// not recorded). The timer's deadline was time_ns - value.
  std::uint64_t after = 0;
};

/// One recorded process (one file, usually): what its otherData says about it.
struct trace_process {
  std::int64_t pid = 0;
  int rank = -1;       // otherData.rank (brigade::trace::set_rank); -1 when not recorded
  std::string source;  // the file it was read from
  std::string host;    // otherData.host; empty when not recorded
  /// The clocks when its recording started (steady_clock and system_clock, ns); 0: unknown.
  std::uint64_t start_steady_ns = 0;
  std::uint64_t start_system_ns = 0;
  /// Where its time 0 lies on the merged timeline (ns); 0 for a single recording.
  std::int64_t offset_ns = 0;
};

/// How merge_trace_files lined the recordings' clocks up.
enum class clock_alignment : std::uint8_t {
  none,    // a single recording
  steady,  // one host: its steady_clock, exact
  system,  // several hosts: their wall clocks, as close as the hosts' clocks agree (NTP: ~ms)
  starts,  // no clock recorded (older files): each recording's start at 0
};

/// A whole trace. Times are nanoseconds since its recording started (merged recordings: since
/// the earliest one started, lined up as `alignment` says). Segments are sorted by lane, then begin
/// time.
///
/// Thread safety: a plain value; distinct objects are independent, a shared one may be read
/// from several threads at once.
struct trace_file {
  std::vector<trace_lane> lanes;
  std::vector<std::string> labels;  // segment labels and lock names, each once
  std::vector<trace_segment> segments;
  std::vector<trace_edge> edges;
  std::vector<trace_slice> slices;
  std::vector<trace_mark> marks;
  std::uint32_t processes = 0;
  std::vector<trace_process> process_info;  // one per process, in process order
  clock_alignment alignment = clock_alignment::none;
  std::uint64_t dropped_events = 0;  // > 0: work and span computed from it are lower bounds
  std::int64_t duration_ns = 0;      // the recording's length (at least the last event's end)
};

/// Parses the text of a brigade trace. source names it in error messages.
///
/// Errors: trace_error when the text is not JSON ("line 3, column 14: expected ':'"), is JSON
/// but not a brigade trace (no traceEvents, otherData.producer is not "brigade", an unknown
/// version), or an event lacks what its kind needs. Never crashes on any input.
/// Complexity: linear in the text; memory proportional to the events kept, not to the text.
trace_file parse_trace_file(std::string_view json, std::string_view source = "trace");

/// The default limit of read_trace_file: 1 GiB, far above any trace brigade writes
/// (BRIGADE_TRACE_EVENTS bounds a recording to 10 MiB of events per thread).
inline constexpr std::uint64_t default_max_trace_bytes = std::uint64_t{1} << 30;

/// Reads and parses the trace at path, which must be a regular file or a pipe (a FIFO,
/// /dev/stdin fed by a pipe, a shell's process substitution) of at most max_bytes: a device
/// such as /dev/zero or a terminal is refused before anything is read, and a pipe is read up
/// to max_bytes + 1 bytes and no further, so no input takes all of memory.
/// Errors: std::system_error naming the path when it cannot be opened or read (or is a
/// directory);
/// std::invalid_argument naming it when it is neither a regular file nor a pipe;
/// std::length_error naming it and the limit when it holds more; as parse_trace_file.
trace_file read_trace_file(const std::string& path,
                           std::uint64_t max_bytes = default_max_trace_bytes);

/// The name to show for lane: its thread's name, after "rank R " (or "pid N " when the rank is
/// not recorded) when t holds several processes.
std::string lane_title(const trace_file& t, std::uint32_t lane);

/// Merges recordings (several processes) into one trace: lanes, labels and processes are
/// renumbered, dropped events add up. Times are lined up by the clocks the files recorded at
/// their starts: by steady_clock when every file names the same host (exact), else by
/// system_clock (approximate: as well as the hosts' clocks agree), else each starts at 0; the
/// result's time 0 is the earliest start, and `alignment` says which was used.
trace_file merge_trace_files(std::vector<trace_file> parts);

}  // namespace brigade::trace
