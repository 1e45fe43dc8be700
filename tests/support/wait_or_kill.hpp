// Waiting for a child with a limit, for tests that must never leave one behind.
#pragma once

#include <brigade/io/process.hpp>

#include <signal.h>

#include <chrono>
#include <optional>

namespace brigade::testing {

/// Waits at most `limit` for p to end: its status, or std::nullopt when it ran past the limit —
/// then it is killed (SIGKILL) and reaped, so that no test leaves a child behind.
inline std::optional<brigade::exit_status> wait_or_kill(brigade::process& p,
                                                        std::chrono::nanoseconds limit) {
  std::optional<brigade::exit_status> s = p.try_wait_for(limit);
  if (!s) {
    p.kill(SIGKILL);
    (void)p.blocking_wait();
  }
  return s;
}

}  // namespace brigade::testing
