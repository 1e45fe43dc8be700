// The raw RESP test client: blocking sockets, poll() for every wait, a small reply parser.
#include "resp_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <system_error>

namespace kv_test {
namespace {

using steady = std::chrono::steady_clock;

// Where the value starting at `at` ends (one past it), or npos if incomplete.
std::size_t value_end(std::string_view d, std::size_t at) {
  const std::size_t eol = d.find("\r\n", at);
  if (at >= d.size() || eol == std::string_view::npos) return std::string_view::npos;
  const char kind = d[at];
  if (kind == '+' || kind == '-' || kind == ':') return eol + 2;
  long long n = 0;
  std::from_chars(d.data() + at + 1, d.data() + eol, n);
  if (kind == '$') {
    if (n < 0) return eol + 2;
    const std::size_t end = eol + 2 + static_cast<std::size_t>(n) + 2;
    return end <= d.size() ? end : std::string_view::npos;
  }
  if (kind != '*') return eol + 2;  // not RESP: one line
  std::size_t p = eol + 2;
  for (long long i = 0; i < n; ++i) {
    p = value_end(d, p);
    if (p == std::string_view::npos) return p;
  }
  return p;
}

std::string show_at(std::string_view d, std::size_t& at) {
  const std::size_t eol = d.find("\r\n", at);
  const std::string_view line = d.substr(at + 1, eol - at - 1);
  const char kind = d[at];
  at = eol + 2;
  switch (kind) {
    case '+':
    case ':':
      return std::string(line);
    case '-':
      return "(error) " + std::string(line);
    case '$': {
      const long long n = std::stoll(std::string(line));
      if (n < 0) return "(nil)";
      std::string s(d.substr(at, static_cast<std::size_t>(n)));
      at += static_cast<std::size_t>(n) + 2;
      return s;
    }
    case '*': {
      const long long n = std::stoll(std::string(line));
      std::string s = "[";
      for (long long i = 0; i < n; ++i) s += (i ? ", " : "") + show_at(d, at);
      return s + "]";
    }
    default:
      return "(not RESP) " + std::string(1, kind) + std::string(line);
  }
}

int poll_ms(steady::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

}  // namespace

std::size_t value_length(std::string_view data) {
  const std::size_t end = value_end(data, 0);
  return end == std::string_view::npos ? 0 : end;
}

std::string show(std::string_view resp) {
  std::size_t at = 0;
  return value_length(resp) == 0 ? "(incomplete)" : show_at(resp, at);
}

std::string encode(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

resp_connection::resp_connection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) < 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::system_error(e, std::generic_category(), "connect");
  }
}

resp_connection::~resp_connection() {
  close();
}

void resp_connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool resp_connection::send(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::size_t resp_connection::send_some(std::string_view data) {
  const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

resp_connection::fill_result resp_connection::fill(steady::time_point deadline) {
  if (closed_) return fill_result::closed;
  pollfd p{fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, poll_ms(deadline));
  if (r == 0) return fill_result::timeout;
  char buf[64 * 1024];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    closed_ = true;
    return fill_result::closed;
  }
  pending_.append(buf, static_cast<std::size_t>(n));
  return fill_result::data;
}

std::optional<std::string> resp_connection::read_reply(std::chrono::milliseconds limit) {
  const auto deadline = steady::now() + limit;
  for (;;) {
    if (const std::size_t n = value_length(pending_)) {
      std::string r = pending_.substr(0, n);
      pending_.erase(0, n);
      return r;
    }
    if (fill(deadline) != fill_result::data) return std::nullopt;
  }
}

std::string resp_connection::reply(std::chrono::milliseconds limit) {
  const auto r = read_reply(limit);
  if (r) return show(*r);
  return closed_ ? "(closed)" : "(timeout)";
}

std::string resp_connection::call(const std::vector<std::string>& args) {
  if (!send(encode(args))) return "(closed)";
  return reply();
}

bool resp_connection::reply_ready(std::chrono::milliseconds limit) {
  const auto deadline = steady::now() + limit;
  while (value_length(pending_) == 0)
    if (fill(deadline) != fill_result::data) return false;
  return true;
}

bool resp_connection::closed_within(std::chrono::milliseconds limit) {
  const auto deadline = steady::now() + limit;
  for (;;) {
    const fill_result r = fill(deadline);
    if (r == fill_result::closed) return true;
    if (r == fill_result::timeout) return false;
    if (pending_.size() > (64u << 20)) pending_.clear();  // a flood we do not care about
  }
}

}  // namespace kv_test
