// The awaitable shape shared by every I/O operation: submit on co_await, honour the awaiting
// coroutine's stop token, hand back the raw result.
#pragma once

#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/core/errors.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/detail/io_op.hpp>
#include <brigade/io/event_loop.hpp>

#include <cerrno>
#include <coroutine>
#include <cstdint>
#include <new>
#include <stop_token>

namespace brigade::detail {

/// Claims op for cancellation (CAS pending -> cancelling) and posts the cancellation to its
/// loop. Any thread. No effect if the op already completed.
void cancel_op(io_op& op) noexcept;

/// Base of every I/O awaitable and of the loop's timers (Op: fd_op, timer_op, or io_op for a
/// readiness wait). Not movable: the loop holds a pointer to op_ while suspended (awaitables
/// are created and awaited in place: `co_await sock.read(buf)`).
template <class Op>
class basic_op_awaiter {
 public:
  explicit basic_op_awaiter(event_loop& loop) noexcept { op_.loop = &loop; }
  basic_op_awaiter(const basic_op_awaiter&) = delete;
  basic_op_awaiter& operator=(const basic_op_awaiter&) = delete;
  // Only a frame destroyed while suspended (never resumed) still holds the registration here.
  ~basic_op_awaiter() { unregister(); }

  bool await_ready() const noexcept { return false; }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    std::stop_token token = stop_token_of(h);
    if (token.stop_requested()) {
      op_.cancelled_before_start = true;
      return false;
    }
    op_.waiter = h;
    if (tracing::on()) {
      op_.label = tracing::current_label();
      op_.trace_after = tracing::end_segment();
    }
    // Register before submitting: the op is then never submitted without a way to cancel it.
    // A cancellation that lands before submit() is handled there (see io_op).
    if (token.stop_possible()) {
      // The bit first: once registered, a stop on another thread can reach the loop, whose
      // cancel handler writes the bits beside it (cancel_seen) before submit() is even called.
      op_.stop_registered = true;
      ::new (static_cast<void*>(stop_)) stop_registration(std::move(token), canceller{&op_});
    }
    return !loop_access::submit(*op_.loop, op_);
  }

 protected:
  /// The operation's result (>= 0, or -errno); throws operation_cancelled if it was cancelled.
  std::int64_t take_result() {
    unregister();  // blocks while a canceller on another thread is still running
    if (op_.cancelled_before_start) throw operation_cancelled();
    if (op_.result == -ECANCELED &&
        op_.state.load(memory_order_acquire) == static_cast<std::uint32_t>(op_state::cancelling))
      throw operation_cancelled();
    return op_.result;
  }

  Op op_;

 private:
  struct canceller {
    io_op* op;
    void operator()() const noexcept { cancel_op(*op); }
  };
  using stop_registration = std::stop_callback<canceller>;

  void unregister() noexcept {
    if (!op_.stop_registered) return;
    std::launder(reinterpret_cast<stop_registration*>(stop_))->~stop_registration();
    op_.stop_registered = false;
  }

  // The stop callback, alive while op_.stop_registered says so: an std::optional without its
  // own flag (8 bytes less in every awaiting frame; the flag is a spare bit of the op).
  alignas(stop_registration) unsigned char stop_[sizeof(stop_registration)];
};

/// The awaitable shape of an operation on a file descriptor.
using op_awaiter = basic_op_awaiter<fd_op>;

}  // namespace brigade::detail
