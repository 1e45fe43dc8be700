// brigade::endpoint — an IPv4 or IPv6 address with a port, without <sys/socket.h> in sight.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace brigade {

/// A socket address (IPv4 or IPv6) and port. Value type.
///
/// Errors: parse() throws std::invalid_argument naming the text when it is not
/// "a.b.c.d:port" or "[v6]:port" with a port in 0..65535.
class endpoint {
 public:
  endpoint() = default;

  /// "127.0.0.1:8080", "[::1]:80", "0.0.0.0:0".
  static endpoint parse(std::string_view text);
  /// 127.0.0.1 (or ::1) with the given port.
  static endpoint loopback(std::uint16_t port, bool ipv6 = false);
  /// 0.0.0.0 (or ::) with the given port: every interface.
  static endpoint any(std::uint16_t port, bool ipv6 = false);

  std::uint16_t port() const noexcept;
  bool is_ipv6() const noexcept;
  /// "127.0.0.1:8080" or "[::1]:80".
  std::string to_string() const;

  /// The raw sockaddr bytes and their length (for the io layer).
  const void* data() const noexcept { return storage_.data(); }
  void* data() noexcept { return storage_.data(); }
  std::uint32_t size() const noexcept { return len_; }
  std::uint32_t& size_ref() noexcept { return len_; }
  static constexpr std::uint32_t capacity = 128;

 private:
  alignas(8) std::array<std::byte, capacity> storage_{};
  std::uint32_t len_ = 0;
};

}  // namespace brigade
