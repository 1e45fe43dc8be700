// brigade::sim — deterministic simulation: run coroutines on one thread, in an order chosen by
// a seeded random generator, on virtual time. A concurrency bug found once is replayed forever
// by its seed.
//
//   auto r = brigade::sim::run(seed, [&]() -> brigade::task<> {
//     brigade::spawn(worker(a));                 // runs concurrently (interleaved by the seed)
//     co_await brigade::sleep_for(10min);        // takes no real time
//     co_await brigade::timeout(1s, reply());    // the same code as on an event loop
//   });
//   r.schedule_hash                        // equal for equal seeds: the schedule itself
//
// The simulator is one more executor behind the scheduler seam
// (brigade/core/detail/resume_context.hpp): brigade::now(), yield(), sleep_for, sleep_until,
// timeout, spawn, and the co_await waits of channel, async_mutex, semaphore and latch all
// resume through it, so code written for the event loop runs unchanged, interleaved by the
// seed, in virtual time. What it cannot simulate: sockets and files (they need an event loop),
// offload to a pool, and blocking calls (blocking_send, mutex::lock on a held lock, ...), which
// would stop the only thread: use the co_await forms. explore.hpp runs a body under many seeds
// and prints the seed that fails.
#pragma once

#include <brigade/core/context.hpp>  // brigade::now, brigade::yield
#include <brigade/core/spawn.hpp>    // brigade::spawn
#include <brigade/core/task.hpp>
#include <brigade/io/timeout.hpp>  // brigade::timeout
#include <brigade/io/timer.hpp>    // brigade::sleep_for, sleep_until
#include <brigade/sync/check.hpp>  // brigade::deadlock_error, thrown by run()

#include <chrono>
#include <cstdint>
#include <functional>

namespace brigade::sim {

/// What a simulation did.
struct run_result {
  std::uint64_t schedule_hash = 0;  ///< hash of every scheduling decision: same seed, same hash
  std::uint64_t steps = 0;          ///< coroutine resumptions
  std::chrono::nanoseconds virtual_time{};  ///< virtual time when the last task finished
};

/// Runs fn() and everything it spawns on the calling thread until all have finished. Whenever
/// several coroutines are runnable, a generator seeded with `seed` picks the next; when none is,
/// virtual time (brigade::now(), starting at 0) jumps to the next timer.
///
/// Errors: the first exception escaping any task (the root or a spawned one) is rethrown once
/// nothing more can run. When tasks remain that nothing can wake (no runnable task, no timer),
/// that is a deadlock: brigade::deadlock_error is thrown (naming the seed), after the stuck
/// tasks are destroyed — do not use the primitives they waited on afterwards.
/// Thread safety: each thread may run its own simulation; coroutines of one simulation must
/// not be resumed by other threads (determinism needs one thread).
run_result run(std::uint64_t seed, std::function<task<>()> fn);

/// What the calling thread's most recent run() did, including one that threw (its schedule
/// up to the failure): compare the hashes of two failing replays.
run_result last_run() noexcept;

/// True when the calling thread is running a simulation.
bool active() noexcept;

}  // namespace brigade::sim
