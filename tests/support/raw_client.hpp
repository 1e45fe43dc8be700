// A plain client socket connected to an endpoint with the system calls, not through brigade: the
// kernel completes the handshake without an accept, so the loop's side can wait on accept, or on
// a read that never gets data, while the test holds the other end.
#pragma once

#include <brigade/io/endpoint.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace brigade::testing {

struct raw_client {
  explicit raw_client(const brigade::endpoint& to)
      : fd(::socket(to.is_ipv6() ? AF_INET6 : AF_INET, SOCK_STREAM, 0)) {
    if (fd < 0 || ::connect(fd, static_cast<const sockaddr*>(to.data()), to.size()) != 0) {
      const int e = errno;
      if (fd >= 0) ::close(fd);
      throw std::system_error(e, std::generic_category(), "test client connect");
    }
  }
  ~raw_client() { ::close(fd); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;
  int fd;
};

}  // namespace brigade::testing
