// UDP on the event loop: datagrams to and from any peer.
#pragma once

#include <brigade/io/detail/socket_base.hpp>
#include <brigade/io/endpoint.hpp>
#include <brigade/io/event_loop.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace brigade {

/// A datagram received: its size and sender.
struct datagram {
  std::size_t size;
  endpoint from;
};

/// A bound UDP socket. Move-only; closes on destruction.
///
/// Thread safety, cancellation, errors: as tcp_stream.
class udp_socket : public detail::fd_owner {
 public:
  udp_socket() noexcept = default;
  /// Binds to `at` (port 0 picks a free port). std::system_error naming the address on failure.
  udp_socket(event_loop& loop, endpoint at);

  class send_awaiter : public detail::transfer_awaiter {
   public:
    send_awaiter(udp_socket& s, std::span<const std::byte> data, const endpoint& to) noexcept
        : transfer_awaiter(s.loop(), detail::io_kind::sendto, s.native_handle(),
                           const_cast<std::byte*>(data.data()), data.size(),
                           "brigade::udp_socket::send_to"),
          to_(to) {
      op_.addr = to_.data();
      op_.addrlen = &to_.size_ref();
    }

   private:
    endpoint to_;
  };

  class receive_awaiter : public detail::op_awaiter {
   public:
    receive_awaiter(udp_socket& s, std::span<std::byte> buf) noexcept : basic_op_awaiter(s.loop()) {
      op_.kind = detail::io_kind::recvfrom;
      op_.fd = s.native_handle();
      op_.buf = buf.data();
      op_.len = buf.size();
      op_.addr = from_.data();
      from_.size_ref() = endpoint::capacity;
      op_.addrlen = &from_.size_ref();
    }
    datagram await_resume();

   private:
    endpoint from_;
  };

  /// Sends one datagram; returns the bytes sent.
  send_awaiter send_to(std::span<const std::byte> data, const endpoint& to) noexcept {
    return {*this, data, to};
  }
  /// Receives one datagram (truncated to buf.size()).
  receive_awaiter receive_from(std::span<std::byte> buf) noexcept { return {*this, buf}; }

  endpoint local_endpoint() const;
};

}  // namespace brigade
