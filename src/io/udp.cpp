// UDP sockets.
#include <brigade/io/udp.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace brigade {

udp_socket::udp_socket(event_loop& loop, endpoint at) {
  const std::string what = "brigade::udp_socket on " + at.to_string();
  const int fd =
      ::socket(at.is_ipv6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::system_category(), what + ": socket");
  loop_ = &loop;
  fd_ = fd;
  if (::bind(fd, static_cast<const sockaddr*>(at.data()), static_cast<socklen_t>(at.size())) < 0)
    throw std::system_error(errno, std::system_category(), what + ": bind");
}

datagram udp_socket::receive_awaiter::await_resume() {
  const std::int64_t r = take_result();
  if (r < 0) detail::throw_io_error(static_cast<int>(-r), "brigade::udp_socket::receive_from");
  return {static_cast<std::size_t>(r), from_};
}

endpoint udp_socket::local_endpoint() const {
  endpoint e;
  auto* len = reinterpret_cast<socklen_t*>(&e.size_ref());
  *len = endpoint::capacity;
  if (::getsockname(fd_, static_cast<sockaddr*>(e.data()), len) < 0)
    detail::throw_io_error(errno, "brigade::udp_socket::local_endpoint");
  return e;
}

}  // namespace brigade
