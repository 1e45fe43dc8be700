// TCP on the event loop: tcp_listener accepts, tcp_stream connects, reads and writes.
//
//   auto listener = brigade::tcp_listener(loop, brigade::endpoint::loopback(8080));
//   brigade::tcp_stream client = co_await listener.accept();
//   std::size_t n = co_await client.read(buffer);       // 0 at end of stream
//   co_await client.write(reply);                        // all of it
#pragma once

#include <brigade/core/task.hpp>
#include <brigade/io/detail/socket_base.hpp>
#include <brigade/io/endpoint.hpp>
#include <brigade/io/event_loop.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace brigade {

/// Thrown by read_exact and read_until when the peer closed the stream first.
class end_of_stream : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A connected TCP socket. Move-only; closes on destruction.
///
/// Thread safety: one read and one write may be in flight at a time (from any threads); the
/// awaiting coroutine resumes on the stream's loop thread.
/// Cancellation: every operation honours the awaiting coroutine's stop token.
/// Errors: std::system_error with the errno (ECONNREFUSED, ECONNRESET, EPIPE, ...) and the
/// operation in its message.
class tcp_stream : public detail::fd_owner {
 public:
  tcp_stream() noexcept = default;
  /// Adopts a connected, non-blocking socket.
  tcp_stream(event_loop& loop, int fd) noexcept : fd_owner(loop, fd) {}

  /// Connects to `to` (resumes on loop's thread).
  static task<tcp_stream> connect(event_loop& loop, endpoint to);

  /// Reads what is available, at most buf.size() bytes; 0 means the peer closed its side.
  detail::transfer_awaiter read(std::span<std::byte> buf) noexcept {
    read_drained_ = false;  // how much this read leaves behind is not known here
    return {*loop_,     detail::io_kind::read,      fd_, buf.data(),
            buf.size(), "brigade::tcp_stream::read"};
  }
  detail::transfer_awaiter read(std::span<char> buf) noexcept {
    return read(std::as_writable_bytes(buf));
  }
  /// Waits until the stream has something to read (data, end of stream or an error) without
  /// reading it: an idle connection can wait here holding no buffer at all. Right after a
  /// try_read that came back short (it emptied the socket), the epoll backend waits without
  /// first polling the socket: one system call less per request on a keep-alive connection.
  detail::readiness_awaiter wait_readable() noexcept {
    return {*loop_, fd_, "brigade::tcp_stream::wait_readable", std::exchange(read_drained_, false)};
  }
  /// Writes some of buf (at least one byte unless buf is empty); returns how many.
  detail::transfer_awaiter write_some(std::span<const std::byte> buf) noexcept {
    return {*loop_,     detail::io_kind::write,      fd_, const_cast<std::byte*>(buf.data()),
            buf.size(), "brigade::tcp_stream::write"};
  }
  detail::transfer_awaiter write_some(std::string_view buf) noexcept {
    return {*loop_,     detail::io_kind::write,      fd_, const_cast<char*>(buf.data()),
            buf.size(), "brigade::tcp_stream::write"};
  }
  /// Reads what is there now, without waiting: the count (0: the peer closed its side), or
  /// std::nullopt when nothing has arrived yet. One system call (recv with MSG_DONTWAIT) on
  /// either backend: after wait_readable, or on a busy connection, it saves the loop a round
  /// trip. Not while a read is in flight.
  std::optional<std::size_t> try_read(std::span<char> buf);
  /// Writes what the socket's send buffer takes now, without waiting: the count (at least one
  /// byte unless buf is empty), or std::nullopt when the buffer is full. One system call.
  /// Not while a write is in flight.
  std::optional<std::size_t> try_write(std::span<const std::byte> buf);
  /// Writes all of buf.
  task<void> write(std::string_view buf);
  task<void> write(std::span<const std::byte> buf);
  /// Reads exactly buf.size() bytes; end_of_stream if the peer closes first.
  task<void> read_exact(std::span<char> buf);
  /// Appends to `buffer` until it contains `delim`; returns the length up to and including the
  /// first delimiter. Bytes after it stay in buffer for the next call. std::length_error when
  /// the buffer would exceed `max_size` without a delimiter; end_of_stream on EOF.
  task<std::size_t> read_until(std::string& buffer, std::string_view delim,
                               std::size_t max_size = 64 * 1024);

  /// Sends FIN: the peer reads end of stream; reading still works.
  void shutdown_write();
  /// TCP_NODELAY on or off.
  void set_nodelay(bool on);
  endpoint local_endpoint() const;
  endpoint remote_endpoint() const;

 private:
  // The last read was a try_read that came back short or empty: the socket was empty then.
  // Read side only (one read at a time), so no other thread touches it meanwhile.
  bool read_drained_ = false;
};

/// A listening TCP socket.
class tcp_listener : public detail::fd_owner {
 public:
  struct options {
    int backlog = 1024;
    bool reuse_port = false;  ///< SO_REUSEPORT: several loops each accept on the same port
  };

  tcp_listener() noexcept = default;
  /// Binds and listens. Port 0 picks a free port (see local_endpoint()). std::system_error
  /// naming the address on failure (EADDRINUSE, EACCES, ...).
  tcp_listener(event_loop& loop, endpoint at) : tcp_listener(loop, at, options{}) {}
  tcp_listener(event_loop& loop, endpoint at, options o);

  class accept_awaiter : public detail::op_awaiter {
   public:
    explicit accept_awaiter(tcp_listener& l) noexcept : basic_op_awaiter(l.loop()) {
      op_.kind = detail::io_kind::accept;
      op_.fd = l.native_handle();
      op_.addr = peer_.data();
      len_ = endpoint::capacity;
      op_.addrlen = &len_;
    }
    tcp_stream await_resume();

   private:
    endpoint peer_;
    std::uint32_t len_ = 0;
  };

  /// The next connection. Running out of descriptors (EMFILE, ENFILE) throws std::system_error
  /// for this accept only: the listener and the loop keep working, so a server can back off
  /// and accept again.
  accept_awaiter accept() noexcept { return accept_awaiter{*this}; }

  endpoint local_endpoint() const;
};

}  // namespace brigade
