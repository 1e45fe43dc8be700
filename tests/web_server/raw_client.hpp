// A raw TCP client for what curl cannot do: pipelining, malformed and oversized requests,
// clients that stall. Every wait has a limit, so a misbehaving server fails a test, never hangs it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace web_test {

using namespace std::chrono_literals;

/// A parsed HTTP response; header names are lower-cased.
struct http_response {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  /// The header's value, "" when absent.
  std::string header(const std::string& lower_name) const;
};

/// Parses a status line and headers ("HTTP/1.1 200 OK\r\nA: b\r\n\r\n"); status 0 if malformed.
http_response parse_head(std::string_view head);

/// One blocking connection to 127.0.0.1:port.
class raw_connection {
 public:
  /// Connects; std::system_error if the server refuses.
  explicit raw_connection(std::uint16_t port);
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  /// Sends all of data; false if the server closed or reset the connection.
  bool send(std::string_view data);
  /// The next response (a HEAD's has no body); nullopt when the connection closed first or
  /// `limit` passed.
  std::optional<http_response> read_response(std::chrono::milliseconds limit = 20s,
                                             bool head = false);
  /// True once the server has closed the connection (end of stream or reset) within `limit`.
  /// Whatever arrives meanwhile is kept for read_response.
  bool closed_within(std::chrono::milliseconds limit);
  /// Closes our side now.
  void close();

 private:
  enum class fill_result { data, closed, timeout };
  fill_result fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string pending_;  // received, not yet returned
  bool closed_ = false;
};

/// "GET target HTTP/1.1" with a Host header (and "Connection: close" if asked).
std::string get_request(std::string_view target, bool close = false);

/// One GET on a fresh connection.
std::optional<http_response> fetch(std::uint16_t port, std::string_view target);

}  // namespace web_test
