// One asynchronous operation in flight on an event loop: what to do, where the result goes,
// who to resume, and how cancellation reaches it. Lives in the awaiting coroutine's frame, so
// an operation allocates nothing.
#pragma once

#include <brigade/core/detail/atomic.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>

namespace brigade {
class event_loop;
}

namespace brigade::detail {

enum class io_kind : std::uint8_t {
  read,      // read(fd, buf, len) on a socket or pipe
  write,     // write(fd, buf, len)
  accept,    // accept4(fd, addr, addrlen), non-blocking + close-on-exec
  connect,   // connect(fd, addr, addrlen) to completion
  recvfrom,  // recvfrom(fd, buf, len, addr, addrlen)
  sendto,    // sendto(fd, buf, len, addr, addrlen)
  pread,     // pread(fd, buf, len, offset) on a regular file
  pwrite,    // pwrite(fd, buf, len, offset)
  poll_in,   // wait until fd is readable (signalfd, eventfd, pipes)
  timer,     // wait until `deadline_ns` on the loop's clock
};

/// The states an operation moves through. Only one party ever moves it out of `pending`:
/// the loop completing it, or a canceller (possibly on another thread) claiming it.
enum class op_state : std::uint32_t { pending = 0, completed = 1, cancelling = 2 };

/// A callback queued to run on a loop's thread; intrusive, so queuing allocates nothing.
struct post_node {
  void (*run)(post_node&) noexcept = nullptr;
  post_node* next = nullptr;
  void* ctx = nullptr;
  std::uint64_t trace_after = 0;  // tracing: the segment this work follows (0: none)
};

/// Resumption rules (all on the loop thread, see src/io/README.md): the backend calls
/// finish() when the I/O itself is over; a cancellation, claimed by CAS pending->cancelling on
/// any thread, reaches the loop through `cancel_next`. The op is resumed by finish() if it was
/// still pending, else by whichever of finish() and the cancel handler comes second, so the frame
/// outlives every reference the loop holds to it and no completed I/O result is dropped.
///
/// This is what every operation has, and all the loop itself reads: an operation that moves
/// bytes or makes a connection is an `fd_op` (this plus its buffer and address), a timer a
/// `timer_op` (this plus its deadline), and a readiness wait (poll_in) just this.
/// Layout: the small fields share the first 16 bytes, and what other threads hand to the loop
/// (a submission, a cancellation) travels through the op's own links, so this part is 72 bytes;
/// a timer's awaiter is mostly a timer_op, and it sits in every sleeping coroutine's frame.
struct io_op {
  io_kind kind{};
  // Loop-thread-only bookkeeping (bits of one byte: nothing touches them concurrently; the
  // awaiter sets cancelled_before_start before the loop ever sees the op).
  bool submitted : 1 = false;               // the loop has seen the submission
  bool io_done : 1 = false;                 // finish() ran: `result` is final
  bool cancel_seen : 1 = false;             // the cancel handler ran
  bool in_kernel : 1 = false;               // io_uring: an SQE refers to this op
  bool cancelled_before_start : 1 = false;  // the awaiter: stop requested before co_await
  // poll_in: the caller's last read of fd came back short, so fd was empty then; a backend
  // that knows no readiness arrived since may wait without looking first (epoll: no poll).
  bool drained : 1 = false;
  // The awaiter's stop callback is registered (the awaiting thread sets it before it registers
  // the callback, which is what makes the op reachable by a canceller, and clears it after the
  // resumption; the loop never writes it, but writes the bits beside it).
  bool stop_registered : 1 = false;
  std::uint8_t timer_where = 0;  // loop thread: which of the loop's timer containers
  // By kind, one of these (here, in what would otherwise be padding):
  union {
    int fd = -1;             // every kind but timer: the file descriptor
    std::uint32_t sequence;  // timer: start order, tie-break of equal deadlines (timer_wheel)
  };
  // pending -> completed (by the loop) or pending -> cancelling (by a stop request, which
  // then posts the cancellation to the loop). acq_rel CAS on both sides: the winner's view of
  // the operation is the one that counts.
  atomic<std::uint32_t> state{0};
  // Loop thread: a timer's position in its timer container (at most 2^32 - 2 timers per loop,
  // each one a frame); an I/O op's slot in the io_uring backend while it is in flight there.
  std::uint32_t heap_index = static_cast<std::uint32_t>(-1);
  std::int64_t result = 0;  // >= 0: bytes / fd; < 0: -errno (ECANCELED when cancelled)
  std::coroutine_handle<> waiter;
  event_loop* loop = nullptr;
  std::uint64_t trace_after = 0;  // tracing: the awaiting coroutine's segment before suspending
  const char* label = nullptr;    // what the awaiting coroutine is (trace::named), if known
  // A canceller's claim on its way to the loop: the link in the loop's cancel queue
  // (loop_core::post_cancel). Separate from `next`: the op may sit in a readiness list then.
  io_op* cancel_next = nullptr;
  // Loop thread: the readiness list (epoll) or the ready queue. Before the loop has seen the
  // op, and while a file transfer runs on a pool thread, the loop does not link it anywhere,
  // and `next` carries it through the loop's queue of ops handed over from other threads
  // (loop_core::post_op).
  io_op* next = nullptr;
};

/// An operation that moves bytes or makes a connection (every kind but timer and poll_in).
struct fd_op : io_op {
  void* buf = nullptr;
  std::size_t len = 0;
  // By kind, one of these is in use (the kind's awaiter writes it before submitting):
  union {
    std::uint64_t offset = 0;  // read, write (0), pread, pwrite
    void* addr;                // accept, connect, recvfrom, sendto: sockaddr storage
  };
  std::uint32_t* addrlen = nullptr;  // with addr
};

/// A timer: completes at `deadline_ns` (absolute, steady clock); its start order is
/// io_op::sequence. 80 bytes, 24 fewer than an fd_op: a sleeping frame does not carry a
/// buffer, a length and an address it never uses.
struct timer_op : io_op {
  std::int64_t deadline_ns = 0;
};

/// The fd_op behind op, whose kind is neither timer nor poll_in.
inline fd_op& as_fd_op(io_op& op) noexcept {
  return static_cast<fd_op&>(op);
}
/// The timer_op behind op, whose kind is timer.
inline timer_op& as_timer_op(io_op& op) noexcept {
  return static_cast<timer_op&>(op);
}

static_assert(sizeof(io_op) == 72 && sizeof(fd_op) == 104 && sizeof(timer_op) == 80,
              "the op layouts are part of the per-task and per-connection memory budgets");

}  // namespace brigade::detail
