// Parsing and printing socket addresses.
#include <brigade/io/endpoint.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace brigade {
namespace {

static_assert(endpoint::capacity >= sizeof(sockaddr_storage));

[[noreturn]] void bad(std::string_view text, const char* why) {
  throw std::invalid_argument("brigade::endpoint: \"" + std::string(text) +
                              "\" is not an address: " + why);
}

}  // namespace

endpoint endpoint::parse(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  const bool v6 = !text.empty() && text.front() == '[';
  if (v6) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      bad(text, "expected [address]:port");
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) bad(text, "expected address:port");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535)
    bad(text, "the port must be an integer in 0..65535");
  endpoint e;
  const std::string h(host);
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET6, h.c_str(), &a.sin6_addr) != 1) bad(text, "invalid IPv6 address");
    std::memcpy(e.storage_.data(), &a, sizeof a);
    e.len_ = sizeof a;
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, h.c_str(), &a.sin_addr) != 1) bad(text, "invalid IPv4 address");
    std::memcpy(e.storage_.data(), &a, sizeof a);
    e.len_ = sizeof a;
  }
  return e;
}

endpoint endpoint::loopback(std::uint16_t port, bool ipv6) {
  return parse(ipv6 ? "[::1]:" + std::to_string(port) : "127.0.0.1:" + std::to_string(port));
}

endpoint endpoint::any(std::uint16_t port, bool ipv6) {
  return parse(ipv6 ? "[::]:" + std::to_string(port) : "0.0.0.0:" + std::to_string(port));
}

bool endpoint::is_ipv6() const noexcept {
  sa_family_t family;
  std::memcpy(&family, storage_.data(), sizeof family);
  return family == AF_INET6;
}

std::uint16_t endpoint::port() const noexcept {
  if (len_ == 0) return 0;
  if (is_ipv6()) {
    sockaddr_in6 a;
    std::memcpy(&a, storage_.data(), sizeof a);
    return ntohs(a.sin6_port);
  }
  sockaddr_in a;
  std::memcpy(&a, storage_.data(), sizeof a);
  return ntohs(a.sin_port);
}

std::string endpoint::to_string() const {
  if (len_ == 0) return "(none)";
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_ipv6()) {
    sockaddr_in6 a;
    std::memcpy(&a, storage_.data(), sizeof a);
    ::inet_ntop(AF_INET6, &a.sin6_addr, buf, sizeof buf);
    // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false positive) about
    // "[" + std::string(...).
    std::string out(1, '[');
    out += buf;
    out += "]:";
    out += std::to_string(ntohs(a.sin6_port));
    return out;
  }
  sockaddr_in a;
  std::memcpy(&a, storage_.data(), sizeof a);
  ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(ntohs(a.sin_port));
}

}  // namespace brigade
