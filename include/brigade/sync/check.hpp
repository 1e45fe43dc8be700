// Checked mode: brigade's locks report potential and real deadlocks instead of hanging.
//
// Off by default. `BRIGADE_CHECK=locks` in the environment (read once, when the library loads)
// or set_check_mode() in code turns it on. Then every brigade::mutex, timed_mutex and
// shared_mutex acquisition updates a lock-order graph: the first acquisition that closes a
// cycle (A taken while holding B somewhere, B taken while holding A elsewhere) is reported as a
// POTENTIAL deadlock with the locks' names and acquisition sites, even when the run does not
// hang (async_mutex too, with the awaiting coroutine as the holder). A thread about to sleep on
// a mutex whose owner (transitively) waits for a mutex this thread holds is reported as a real
// deadlock. See src/sync/README.md for how it works.
//
// Independent of checked mode, and on by default: when every thread of the process sleeps in
// an untimed wait and none ran for a grace period, with one of them in a brigade wait, brigade
// prints "brigade: all chefs are asleep — deadlock" with what each thread waits on and aborts.
// BRIGADE_DEADLOCK_GRACE_MS (default 1000) sets the grace period, BRIGADE_DEADLOCK_DETECT=0
// turns it off; both are read once, at start-up, and a bad value stops the program there with
// one line naming it (exit status 2). Limits (a wake-up from a signal handler cannot be
// foreseen; x86-64 Linux only): src/sync/README.md, "All chefs are asleep".
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace brigade {

/// Thrown, in checked mode with check_action::throw_error, by the lock acquisition that closes
/// a lock-order cycle or a wait-for cycle. The lock was not acquired. what() is the report.
class deadlock_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace sync {

/// What checked mode does when it finds a (potential) deadlock.
enum class check_action {
  report,       ///< print the report to stderr and continue (a real deadlock then hangs)
  throw_error,  ///< throw brigade::deadlock_error from the offending acquisition
  abort,        ///< print the report and std::abort()
};

/// Checked-mode settings. All off: brigade locks cost one relaxed load and a branch extra.
struct check_options {
  bool lock_order = false;  ///< keep the lock-order graph; report cycles (potential deadlocks)
  bool deadlocks = false;   ///< report threads blocked on brigade mutexes in a wait-for cycle
  /// For a potential deadlock (a lock-order cycle): the run may well go on fine.
  check_action action = check_action::report;
  /// For a real deadlock (threads in a wait-for cycle): by default the process ends with the
  /// report instead of hanging; `report` lets it hang after the report.
  check_action deadlock_action = check_action::abort;
};

/// Sets checked mode for the whole process (no effect in a build with
/// BRIGADE_ENABLE_LOCK_CHECKS=OFF). `BRIGADE_CHECK=locks` sets {lock_order, deadlocks,
/// report potential ones, abort on real ones}; `locks,throw`, `locks,abort` and
/// `locks,report` choose one action for both. Any other value is an error: the program
/// prints one line naming it and exits with status 2 when the library loads.
/// Thread safety: safe to call any time, but set it before the locks it should watch are
/// taken: a lock taken while checks were off is not in the graph.
void set_check_mode(check_options options) noexcept;
/// The current settings.
check_options check_mode() noexcept;

/// How many (potential) deadlocks checked mode has reported since the process started.
std::size_t deadlock_reports() noexcept;
/// The text of the most recent report ("" if none). For tests and tools.
std::string last_deadlock_report();
/// Forgets the lock-order graph (edges learnt so far); the report count stays.
void reset_lock_graph() noexcept;

}  // namespace sync
}  // namespace brigade
