// The raw test client: blocking sockets, poll() for every wait, a small response parser.
#include "raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <system_error>

namespace web_test {

std::string http_response::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

http_response parse_head(std::string_view head) {
  http_response r;
  std::size_t eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return r;
  r.status = std::stoi(std::string(status_line.substr(9, 3)));
  while (eol != std::string_view::npos) {
    const std::size_t start = eol + 2;
    eol = head.find("\r\n", start);
    const std::string_view line = head.substr(start, eol - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers[name] = std::string(value);
  }
  return r;
}

raw_connection::raw_connection(std::uint16_t port) {
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

raw_connection::~raw_connection() {
  close();
}

void raw_connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool raw_connection::send(std::string_view data) {
  while (!data.empty()) {
    // MSG_NOSIGNAL: a server that closed on us is a test result, not a SIGPIPE.
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

raw_connection::fill_result raw_connection::fill(std::chrono::steady_clock::time_point deadline) {
  if (closed_) return fill_result::closed;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 0)));
  if (ready == 0) return fill_result::timeout;
  char buf[16384];
  const ssize_t n = ready < 0 ? -1 : ::recv(fd_, buf, sizeof buf, 0);
  if (n > 0) {
    pending_.append(buf, static_cast<std::size_t>(n));
    return fill_result::data;
  }
  if (n < 0 && errno == EINTR) return fill_result::data;  // nothing new; the caller loops
  closed_ = true;                                         // end of stream, or reset
  return fill_result::closed;
}

std::optional<http_response> raw_connection::read_response(std::chrono::milliseconds limit,
                                                           bool head) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::size_t end;
  while ((end = pending_.find("\r\n\r\n")) == std::string::npos)
    if (fill(deadline) != fill_result::data) return std::nullopt;
  http_response r = parse_head(std::string_view(pending_).substr(0, end + 2));
  const std::string length = r.header("content-length");
  const std::size_t body = head || length.empty() ? 0 : std::stoul(length);
  while (pending_.size() < end + 4 + body)
    if (fill(deadline) != fill_result::data) return std::nullopt;
  r.body = pending_.substr(end + 4, body);
  pending_.erase(0, end + 4 + body);
  return r;
}

bool raw_connection::closed_within(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const fill_result f = fill(deadline);
    if (f == fill_result::closed) return true;
    if (f == fill_result::timeout) return false;
  }
}

std::string get_request(std::string_view target, bool close) {
  std::string r = "GET ";
  r += target;
  r += " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (close) r += "Connection: close\r\n";
  return r + "\r\n";
}

std::optional<http_response> fetch(std::uint16_t port, std::string_view target) {
  raw_connection c(port);
  if (!c.send(get_request(target, true))) return std::nullopt;
  return c.read_response();
}

}  // namespace web_test
