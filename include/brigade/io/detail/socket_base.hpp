// What every brigade descriptor wrapper shares: ownership of one fd tied to one event loop,
// and the generic byte-count awaitable.
#pragma once

#include <brigade/io/detail/op_awaiter.hpp>
#include <brigade/io/event_loop.hpp>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace brigade::detail {

/// Throws std::system_error(err) whose message names the operation.
[[noreturn]] void throw_io_error(int err, const char* what);

/// Owns a descriptor registered (lazily) with one loop. Move-only; closing happens on the
/// loop's thread, so the loop must outlive the object.
class fd_owner {
 public:
  fd_owner() noexcept = default;
  fd_owner(event_loop& loop, int fd) noexcept : loop_(&loop), fd_(fd) {}
  fd_owner(fd_owner&& o) noexcept : loop_(o.loop_), fd_(std::exchange(o.fd_, -1)) {}
  fd_owner& operator=(fd_owner&& o) noexcept {
    if (this != &o) {
      close();
      loop_ = o.loop_;
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  fd_owner(const fd_owner&) = delete;
  fd_owner& operator=(const fd_owner&) = delete;
  ~fd_owner() { close(); }

  /// Closes the descriptor (no operation may be pending on it). Safe from any thread.
  void close() noexcept;
  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }
  event_loop& loop() const noexcept { return *loop_; }

 protected:
  event_loop* loop_ = nullptr;
  int fd_ = -1;
};

/// An operation that moves bytes (or yields a descriptor): returns the count, throws
/// std::system_error naming `what` on failure, operation_cancelled when cancelled.
class transfer_awaiter : public op_awaiter {
 public:
  transfer_awaiter(event_loop& loop, io_kind kind, int fd, void* buf, std::size_t len,
                   const char* what, std::uint64_t offset = 0) noexcept
      : op_awaiter(loop), what_(what) {
    op_.kind = kind;
    op_.fd = fd;
    op_.buf = buf;
    op_.len = len;
    op_.offset = offset;
  }
  std::size_t await_resume() {
    const std::int64_t r = take_result();
    if (r < 0) throw_io_error(static_cast<int>(-r), what_);
    return static_cast<std::size_t>(r);
  }

 protected:
  const char* what_;
};

/// A wait until fd is readable (io_kind::poll_in): an io_op without the buffer, length and
/// address an fd_op carries, since it moves no bytes (32 bytes less in an idle connection's
/// frame). Throws std::system_error naming `what` on failure, operation_cancelled when
/// cancelled.
class readiness_awaiter : public basic_op_awaiter<io_op> {
 public:
  /// `drained`: see io_op::drained.
  readiness_awaiter(event_loop& loop, int fd, const char* what, bool drained = false) noexcept
      : basic_op_awaiter(loop), what_(what) {
    op_.kind = io_kind::poll_in;
    op_.fd = fd;
    op_.drained = drained;
  }
  void await_resume() {
    const std::int64_t r = take_result();
    if (r < 0) throw_io_error(static_cast<int>(-r), what_);
  }

 private:
  const char* what_;
};

}  // namespace brigade::detail
