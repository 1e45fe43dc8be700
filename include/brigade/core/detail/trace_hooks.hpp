// The recording side of tracing, as seen by the layers that emit events (pool, io, sync).
//
// Off (the default) every hook is one relaxed load and a predictable branch. On, each thread
// appends fixed-size events to its own bounded buffer: no locks, no allocation after the first
// event of a thread. The trace layer (include/brigade/trace/) starts, stops and writes; the
// trace_tools library reads and analyses; this header only records.
//
// The execution model recorded is Cilkview's: a *segment* is a stretch of one thread running
// one strand of the computation without forking or waiting; an *edge* says a segment cannot
// start before another ended (fork, join, spawn, sync, hand-over to the pool). Work is the sum
// of segment lengths; span is the longest chain along edges.
#pragma once

#include <brigade/core/detail/atomic.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace brigade::detail::tracing {

enum class kind : std::uint16_t {
  segment_begin = 1,  // a: segment id, label: what runs (may be null)
  segment_end,        // a: segment id
  edge,               // a: from segment, b: to segment
  steal,              // a: victim worker index
  park,               // the thread sleeps (no work)
  unpark,             // ... and wakes up
  loop_wait_begin,    // an event loop blocks in its backend
  loop_wait_end,      // ... and returns: b = events handled (if known)
  timer_fire,         // a timer expired: a = its waiter's segment before it slept, b = lateness ns
  loop_lag,           // a loop step ran long: b = duration in ns, label: what ran
  lock_wait_begin,    // a: lock id, label: lock name
  lock_wait_end,      // a: lock id
  thread_name,        // label: "worker 3", "loop 0", "main"
  segment_units,      // a: segment id, b: the independent iterations it ran (a divisible piece)
  // A thread blocks on, or a coroutine suspends for, communication (brigade::mpi). Begin and
  // end of one id may be recorded on different threads of the process (a coroutine resumes
  // elsewhere); ids come from new_segment_id(); the label is interned or static, and says what
  // is awaited ("MPI_Recv from rank 1").
  comm_wait_begin,  // a: wait id (unique in the process), label: what is awaited
  comm_wait_end,    // a: wait id
  // Fused: one event where begin_segment used to record up to four (the thread's segment ends,
  // a new one begins after one or two others); the writer expands them (recorder.hpp).
  segment_switch,  // a: segment ended (0: none), b: segment begun, c: an edge c -> b (0: none)
  segment_next,    // as segment_switch, and an edge a -> b as well
  // An edge from the middle of a segment: b starts after the part of a that ran before this
  // event (a fork inside a that was not recorded, whose branch a thief began as b). The writer
  // splits a there.
  fork_edge,  // a: the forking segment, b: the branch's segment
  // A coroutine suspends for a lock (async_mutex) and resumes holding it (or cancelled). As
  // comm waits: begin and end may be on different threads; ids from new_segment_id(); the
  // label is interned or static (the lock's name).
  coro_lock_wait_begin,  // a: wait id (unique in the process), label: the lock's name
  coro_lock_wait_end,    // a: wait id
  // A thread blocks on, or a coroutine suspends for, another strand's signal: a semaphore's
  // permit, a latch, a barrier's phase, a channel's value or room, a select (brigade::sync).
  // As comm waits: begin and end may be on different threads; ids from new_segment_id(); the
  // label is static ("semaphore", "channel receive").
  sync_wait_begin,  // a: wait id (unique in the process), label: what is awaited
  sync_wait_end,    // a: wait id
};

/// Whether recording is on. Relaxed: turning tracing on or off races benignly with threads
/// that are mid-event (a few events more or less at the edges).
/// Built with BRIGADE_ENABLE_TRACING=OFF (BRIGADE_NO_TRACING defined for brigade and its users),
/// it is a constant false and every hook compiles away.
extern atomic<bool> enabled_flag;
inline bool on() noexcept {
#ifdef BRIGADE_NO_TRACING
  return false;
#else
  return enabled_flag.load(memory_order_relaxed);
#endif
}

class thread_buffer;

/// The calling thread's recording state. In this header, so that join's hooks read and write it
/// without a call into the library; trivially destructible and constant-initialized, so every
/// access is a plain thread-pointer-relative load or store (no guard, no init call). Only its
/// own thread touches it.
struct thread_state {
  thread_buffer* buffer = nullptr;  // owned by the recorder (recorder.cpp)
  std::uint64_t generation = 0;
  std::uint64_t segment = 0;  // the open segment (0: none)
  const char* label = nullptr;
  const char* name = nullptr;
  std::uint64_t next_id = 0;  // this thread's block of segment ids: [next_id, end_id)
  std::uint64_t end_id = 0;
  /// How many forks (join) enclose the code running now, in its task tree: a stolen branch
  /// carries its depth to the thief. Counted only while recording.
  std::uint32_t fork_depth = 0;
};
inline thread_local constinit thread_state this_thread{};

/// Forks nested this deep or deeper are recorded only when a thief takes their branch
/// (BRIGADE_TRACE_FORK_DEPTH, trace::start_options::fork_depth). A fork recorded costs three
/// timestamped events; one not recorded, a compare and two stores, so that fine-grained
/// recursion (fib: a fork every few ns) can be traced at all. What is lost: the span inside a
/// subtree below the limit that ran on one thread (its work counts as one serial stretch, so
/// the span reported is an upper bound, above the program's by at most such subtrees).
/// Relaxed: set before recording starts.
inline constexpr std::uint32_t default_fork_depth = 16;
extern atomic<std::uint32_t> fork_depth_limit;
inline bool record_this_fork() noexcept {
  return this_thread.fork_depth < fork_depth_limit.load(memory_order_relaxed);
}

/// Appends one event, timestamped now, to the calling thread's buffer (drops it and counts the
/// drop when the buffer is full).
void record(kind k, std::uint64_t a, std::uint64_t b, const char* label) noexcept;

/// A fresh segment id (never 0).
std::uint64_t new_segment_id() noexcept;

/// The calling thread's open segment (0: none).
std::uint64_t current_segment() noexcept;
void set_current_segment(std::uint64_t id) noexcept;

/// Opens a segment on this thread after `after1` and `after2` (0: no edge); returns its id.
std::uint64_t begin_segment(const char* label, std::uint64_t after1 = 0,
                            std::uint64_t after2 = 0) noexcept;
/// join's hooks, one call each where three were (fewer calls per 15 ns fork):
/// fork_point: the calling thread's open segment (opening one if none), and its label.
std::uint64_t fork_point(const char** label) noexcept;
/// begin_sibling: ends the open segment, begins one after `parent`; returns the ended one.
std::uint64_t begin_sibling(std::uint64_t parent) noexcept;
/// begin_continuation: ends the open segment, begins one after it and after `f_last`.
void begin_continuation(std::uint64_t f_last) noexcept;
/// A thief begins running the branch of a fork that was not recorded (deeper than
/// fork_depth_limit): a segment that starts after the part of `parent` (the forking thread's
/// segment at the fork) that ran before now. Records kind::fork_edge.
void begin_stolen_branch(std::uint64_t parent) noexcept;
/// Opens segment `id` (from new_segment_id(), reserved earlier so that edges into it could be
/// recorded before it started) on this thread.
void begin_segment_as(std::uint64_t id, const char* label) noexcept;
/// Closes the calling thread's open segment, if any; returns its id (0 if none was open).
std::uint64_t end_segment() noexcept;
/// Where the calling thread gives a signal that another strand waits for (a sync primitive wakes
/// a waiter): ends its open segment there and begins the continuation after it, so that the
/// waiter's next segment can follow the part that ran before the signal. Returns the ended
/// segment (0 when none was open: nothing recorded).
std::uint64_t signal_point() noexcept;

/// Events per thread buffer for recordings started from now on (BRIGADE_TRACE_EVENTS).
void set_buffer_capacity(std::size_t events) noexcept;

/// A copy of `label` that lives as long as the program, one per distinct text (thread names,
/// labels of objects that may die before the trace is written). brigade::trace::intern is its
/// public spelling; the layers below trace (pool, io) call it here.
/// Errors: std::bad_alloc. Thread safety: any thread.
const char* intern(std::string_view label);

/// intern(label), but null when out of memory.
const char* intern_label(const char* label) noexcept;

/// Names the calling thread in the trace ("worker 2", "loop 0").
void name_thread(const char* name) noexcept;

/// The label the calling thread runs under (set by brigade::trace::named while it runs).
const char* current_label() noexcept;
const char* set_current_label(const char* label) noexcept;

}  // namespace brigade::detail::tracing
