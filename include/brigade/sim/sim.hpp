// brigade::sim — deterministic simulation: run coroutines on one thread, in an order chosen by
// a seeded random generator, on virtual time. A concurrency bug found once is replayed forever
// by its seed.
//
//   auto r = brigade::sim::run(seed, [&]() -> brigade::task<> {
//     brigade::sim::spawn(worker(a));      // runs concurrently (interleaved by the seed)
//     co_await brigade::sim::sleep_for(10min);   // takes no real time
//   });
//   r.schedule_hash                        // equal for equal seeds: the schedule itself
//
// Inside a simulation brigade's coroutine waits (co_await on channel, async_mutex, semaphore,
// latch) resume through the simulator, so they are interleaved by the seed too. Blocking calls
// (blocking_send, mutex::lock on a held lock, ...) would stop the only thread: use the
// co_await forms. explore.hpp runs a body under many seeds and prints the seed that fails.
#pragma once

#include <brigade/core/task.hpp>
#include <brigade/sync/check.hpp>  // brigade::deadlock_error, thrown by run()

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <functional>

namespace brigade::detail {
/// Queues h to run in the calling thread's simulation. std::logic_error naming `what` when the
/// thread is not running one.
void sim_schedule(std::coroutine_handle<> h, const char* what);
/// Queues h to run at virtual time `when_ns`.
void sim_schedule_at(std::int64_t when_ns, std::coroutine_handle<> h, const char* what);
/// The simulation's virtual time in nanoseconds since it started.
std::int64_t sim_now_ns(const char* what);
}  // namespace brigade::detail

namespace brigade::sim {

/// The simulation's clock: virtual time, starting at 0 with each run().
struct clock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<clock>;
  static constexpr bool is_steady = true;
  /// Errors: std::logic_error outside a simulation.
  static time_point now() { return time_point(duration(detail::sim_now_ns("sim::clock::now"))); }
};

/// What a simulation did.
struct run_result {
  std::uint64_t schedule_hash = 0;  ///< hash of every scheduling decision: same seed, same hash
  std::uint64_t steps = 0;          ///< coroutine resumptions
  clock::duration virtual_time{};   ///< virtual time when the last task finished
};

/// Runs fn() and everything it spawns on the calling thread until all have finished. Whenever
/// several coroutines are runnable, a generator seeded with `seed` picks the next; when none is,
/// virtual time jumps to the next timer.
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

/// Starts t concurrently in the current simulation (interleaved with the others by the seed).
/// run() waits for it. Errors: std::logic_error outside a simulation.
void spawn(task<> t);

/// True when the calling thread is running a simulation.
bool active() noexcept;

/// `co_await sim::yield()`: lets the seed choose who runs next (maybe the caller again).
inline auto yield() {
  struct awaiter {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const { detail::sim_schedule(h, "sim::yield"); }
    void await_resume() const noexcept {}
  };
  return awaiter{};
}

/// `co_await sim::sleep_until(tp)`: resumes at virtual time tp (at once, if it has passed).
inline auto sleep_until(clock::time_point tp) {
  struct awaiter {
    std::int64_t when;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const {
      detail::sim_schedule_at(when, h, "sim::sleep_until");
    }
    void await_resume() const noexcept {}
  };
  return awaiter{tp.time_since_epoch().count()};
}

/// `co_await sim::sleep_for(d)`: virtual time passes, real time does not.
template <class Rep, class Period>
auto sleep_for(std::chrono::duration<Rep, Period> d) {
  return sleep_until(clock::now() + std::chrono::ceil<clock::duration>(d));
}

}  // namespace brigade::sim
