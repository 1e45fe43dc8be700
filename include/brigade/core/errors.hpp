// The exceptions brigade's coroutine layer throws for cancellation and timeouts.
#pragma once

#include <stdexcept>

namespace brigade {

/// Thrown by a brigade awaitable whose operation was cancelled through the awaiting
/// coroutine's stop token (a scope or when_any stopping its children, a timeout, shutdown).
class operation_cancelled : public std::runtime_error {
 public:
  operation_cancelled() : std::runtime_error("brigade: operation cancelled") {}
  using std::runtime_error::runtime_error;
};

/// Thrown by brigade::timeout when the deadline passed before the task finished.
class timed_out : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace brigade
