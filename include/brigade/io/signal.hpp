// Signals as awaitable events: `co_await signals.wait()` returns the next one delivered, so a
// server can drain gracefully on SIGTERM instead of dying mid-request.
#pragma once

#include <brigade/core/task.hpp>
#include <brigade/io/detail/socket_base.hpp>
#include <brigade/io/event_loop.hpp>

#include <initializer_list>

namespace brigade {

/// A set of signals delivered through the loop (signalfd).
///
/// Constructing it blocks those signals in the calling thread; brigade's own threads (pool
/// workers, runtime loops) block them too, so the process-wide default action (termination)
/// does not run. Threads you create yourself before constructing the set may still receive
/// them: create the signal_set early, on the main thread. Destroying it does not unblock.
/// Errors: std::system_error if signalfd fails; std::invalid_argument for an invalid number.
class signal_set : public detail::fd_owner {
 public:
  signal_set(event_loop& loop, std::initializer_list<int> signals);

  /// The next signal of the set (its number). Cancellable.
  task<int> wait();
};

}  // namespace brigade
