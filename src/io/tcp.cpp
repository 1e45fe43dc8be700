// TCP sockets: connect, listen/accept, whole-buffer reads and writes, descriptor closing.
#include <brigade/io/tcp.hpp>

#include "loop_core.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace brigade {
namespace detail {

void throw_io_error(int err, const char* what) {
  throw std::system_error(err, std::system_category(), what);
}

void fd_owner::close() noexcept {
  if (fd_ < 0) return;
  const int fd = std::exchange(fd_, -1);
  if (loop_->on_loop_thread()) {
    detail::loop_access::core(*loop_).backend().forget_fd(fd);
    ::close(fd);
    return;
  }
  // Forget and close on the loop's thread: closing here could let the number be reused by a
  // new descriptor before the loop forgets the old one.
  struct closer final : post_node {
    closer(event_loop& l, int f) : loop(l), fd(f) {
      run = [](post_node& n) noexcept {
        auto* self = static_cast<closer*>(&n);
        detail::loop_access::core(self->loop).backend().forget_fd(self->fd);
        ::close(self->fd);
        delete self;
      };
    }
    event_loop& loop;
    int fd;
  };
  detail::loop_access::post(*loop_, *new closer(*loop_, fd));
}

}  // namespace detail

namespace {

int new_socket(int family, int type, const char* what) {
  const int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) detail::throw_io_error(errno, what);
  return fd;
}

endpoint address_of(int fd, bool peer) {
  endpoint e;
  auto* len = reinterpret_cast<socklen_t*>(&e.size_ref());
  *len = endpoint::capacity;
  const int r = peer ? ::getpeername(fd, static_cast<sockaddr*>(e.data()), len)
                     : ::getsockname(fd, static_cast<sockaddr*>(e.data()), len);
  if (r < 0) detail::throw_io_error(errno, peer ? "brigade: getpeername" : "brigade: getsockname");
  return e;
}

// Connects op-style on the loop; the awaiter lives in the connect coroutine's frame.
class connect_awaiter : public detail::op_awaiter {
 public:
  connect_awaiter(event_loop& loop, int fd, endpoint& to) noexcept : basic_op_awaiter(loop) {
    op_.kind = detail::io_kind::connect;
    op_.fd = fd;
    op_.addr = to.data();
    op_.addrlen = &to.size_ref();
  }
  std::int64_t await_resume() { return take_result(); }
};

}  // namespace

task<tcp_stream> tcp_stream::connect(event_loop& loop, endpoint to) {
  tcp_stream s(loop, new_socket(to.is_ipv6() ? AF_INET6 : AF_INET, SOCK_STREAM,
                                "brigade::tcp_stream::connect: socket"));
  const std::int64_t r = co_await connect_awaiter(loop, s.fd_, to);
  if (r < 0) {
    const std::string what = "brigade::tcp_stream::connect to " + to.to_string();
    throw std::system_error(static_cast<int>(-r), std::system_category(), what);
  }
  co_return s;
}

task<void> tcp_stream::write(std::string_view buf) {
  while (!buf.empty()) {
    const std::size_t n = co_await write_some(buf);
    buf.remove_prefix(n);
  }
}

task<void> tcp_stream::write(std::span<const std::byte> buf) {
  while (!buf.empty()) {
    const std::size_t n = co_await write_some(buf);
    buf = buf.subspan(n);
  }
}

task<void> tcp_stream::read_exact(std::span<char> buf) {
  while (!buf.empty()) {
    const std::size_t n = co_await read(buf);
    if (n == 0) throw end_of_stream("brigade::tcp_stream::read_exact: the peer closed the stream");
    buf = buf.subspan(n);
  }
}

task<std::size_t> tcp_stream::read_until(std::string& buffer, std::string_view delim,
                                         std::size_t max_size) {
  std::size_t searched = 0;
  for (;;) {
    const std::size_t from = searched >= delim.size() ? searched - delim.size() + 1 : 0;
    if (const auto at = buffer.find(delim, from); at != std::string::npos)
      co_return at + delim.size();
    searched = buffer.size();
    if (buffer.size() >= max_size)
      throw std::length_error("brigade::tcp_stream::read_until: no delimiter within " +
                              std::to_string(max_size) + " bytes");
    const std::size_t old = buffer.size();
    const std::size_t chunk = std::min<std::size_t>(4096, max_size - old);
    buffer.resize(old + chunk);
    const std::size_t n = co_await read(std::span<char>(buffer.data() + old, chunk));
    buffer.resize(old + n);
    if (n == 0) throw end_of_stream("brigade::tcp_stream::read_until: the peer closed the stream");
  }
}

std::optional<std::size_t> tcp_stream::try_read(std::span<char> buf) {
  for (;;) {
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
    // A stream socket's recv takes all that is queued up to the buffer's size: a short count
    // (not 0, which is the end) means the socket was empty right after it.
    read_drained_ = n > 0 && static_cast<std::size_t>(n) < buf.size();
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      read_drained_ = true;
      return std::nullopt;
    }
    if (errno != EINTR) detail::throw_io_error(errno, "brigade::tcp_stream::try_read");
  }
}

std::optional<std::size_t> tcp_stream::try_write(std::span<const std::byte> buf) {
  if (buf.empty()) return 0;
  for (;;) {
    // MSG_NOSIGNAL: a peer that closed gives EPIPE here, not SIGPIPE to the process.
    const ssize_t n = ::send(fd_, buf.data(), buf.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
    if (errno != EINTR) detail::throw_io_error(errno, "brigade::tcp_stream::try_write");
  }
}

void tcp_stream::shutdown_write() {
  if (::shutdown(fd_, SHUT_WR) < 0) detail::throw_io_error(errno, "brigade::tcp_stream::shutdown");
}

void tcp_stream::set_nodelay(bool on) {
  const int v = on ? 1 : 0;
  if (::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) < 0)
    detail::throw_io_error(errno, "brigade::tcp_stream::set_nodelay");
}

endpoint tcp_stream::local_endpoint() const {
  return address_of(fd_, false);
}
endpoint tcp_stream::remote_endpoint() const {
  return address_of(fd_, true);
}

tcp_listener::tcp_listener(event_loop& loop, endpoint at, options o) {
  const std::string what = "brigade::tcp_listener on " + at.to_string();
  const int fd = new_socket(at.is_ipv6() ? AF_INET6 : AF_INET, SOCK_STREAM, what.c_str());
  loop_ = &loop;
  fd_ = fd;  // owned from here: closed if we throw below
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (o.reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
    throw std::system_error(errno, std::system_category(), what + ": SO_REUSEPORT");
  if (::bind(fd, static_cast<const sockaddr*>(at.data()), static_cast<socklen_t>(at.size())) < 0)
    throw std::system_error(errno, std::system_category(), what + ": bind");
  if (::listen(fd, o.backlog) < 0)
    throw std::system_error(errno, std::system_category(), what + ": listen");
}

tcp_stream tcp_listener::accept_awaiter::await_resume() {
  const std::int64_t r = take_result();
  if (r < 0) detail::throw_io_error(static_cast<int>(-r), "brigade::tcp_listener::accept");
  return tcp_stream(*op_.loop, static_cast<int>(r));
}

endpoint tcp_listener::local_endpoint() const {
  return address_of(fd_, false);
}

}  // namespace brigade
