// The interface between an event loop and its kernel backend (epoll or io_uring).
#pragma once

#include <brigade/io/detail/io_op.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace brigade::detail {

class loop_core;

/// A backend runs I/O operations and reports each one's end through loop_core::finish().
/// Everything but wake() runs on the loop's thread.
class reactor {
 public:
  virtual ~reactor() = default;
  virtual const char* name() const noexcept = 0;
  /// Starts op (any kind but timer: those are the loop's; an fd_op unless it is a poll_in).
  /// May call finish() before returning.
  virtual void start(io_op& op) noexcept = 0;
  /// Stops a started, unfinished op; finish() follows (now or when the kernel lets go of it).
  virtual void abort(io_op& op) noexcept = 0;
  /// Waits for completions at most timeout_ns (negative: no limit; 0: poll) or until wake().
  virtual void wait(std::int64_t timeout_ns) noexcept = 0;
  /// Interrupts wait() from any thread.
  virtual void wake() noexcept = 0;
  /// Forgets fd before it is closed (no op may be pending on it).
  virtual void forget_fd(int fd) noexcept = 0;
  /// Every started, unfinished op (for cancelling them all when the loop is destroyed).
  virtual std::vector<io_op*> pending() const = 0;
};

std::unique_ptr<reactor> make_epoll_reactor(loop_core& core);
/// nullptr when io_uring is unavailable (no liburing at build time, or the kernel refuses).
std::unique_ptr<reactor> make_uring_reactor(loop_core& core);

}  // namespace brigade::detail
