// A raw RESP client for the kv_server tests: pipelining, partial frames, garbage, and clients
// that stall. Every wait has a limit, so a misbehaving server fails a test, never hangs it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kv_test {

using namespace std::chrono_literals;

/// A RESP2 value in redis-cli's raw style: "+OK" -> "OK", "-ERR x" -> "(error) ERR x",
/// ":3" -> "3", "$-1" -> "(nil)", arrays as "[a, b]".
std::string show(std::string_view resp);

/// The length of the first complete RESP value in data, or 0 if it is not all there.
std::size_t value_length(std::string_view data);

/// "*N\r\n$len\r\narg\r\n..." for the given arguments.
std::string encode(const std::vector<std::string>& args);

/// One blocking connection to 127.0.0.1:port.
class resp_connection {
 public:
  explicit resp_connection(std::uint16_t port);
  ~resp_connection();
  resp_connection(const resp_connection&) = delete;
  resp_connection& operator=(const resp_connection&) = delete;

  /// Sends all of data; false if the server closed or reset the connection.
  bool send(std::string_view data);
  /// Sends what the socket takes now, without blocking; returns how many bytes.
  std::size_t send_some(std::string_view data);
  /// The next reply, raw; nullopt if the connection closed first or `limit` passed.
  std::optional<std::string> read_reply(std::chrono::milliseconds limit = 20s);
  /// The next reply shown as show() does; "(closed)" or "(timeout)" otherwise.
  std::string reply(std::chrono::milliseconds limit = 20s);
  /// Sends the command and returns its reply, shown.
  std::string call(const std::vector<std::string>& args);
  /// Whether a whole reply has arrived (waits at most `limit`).
  bool reply_ready(std::chrono::milliseconds limit = 0ms);
  /// True once the server has closed the connection within `limit`; what arrives meanwhile
  /// is kept.
  bool closed_within(std::chrono::milliseconds limit);
  void close();

 private:
  enum class fill_result { data, closed, timeout };
  fill_result fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string pending_;
  bool closed_ = false;
};

}  // namespace kv_test
