// HTTP/1.1 messages as the server sees them: a parsed request, and a response to send.
#pragma once

#include <brigade/io/file.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace web {

/// A request whose headers the parser accepted (the server reads no bodies: it has no route
/// that takes one, so a body is counted against the limit and dropped).
struct request {
  std::string target;      ///< as sent: "/a%20b?x=1"
  bool head = false;       ///< HEAD: the same headers as GET, no body
  bool keep_alive = true;  ///< by HTTP/1.1 (close on "Connection: close") and 1.0 rules
};

/// A response: a small body held in memory, or a file streamed from disk.
struct response {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::optional<brigade::file> file;  ///< set: send file_size bytes of it instead of body
  std::uint64_t file_size = 0;
  const char* allow = nullptr;  ///< the Allow header of a 405
};

/// A text/plain response.
response text_response(int status, std::string body);

/// The status line and headers for r with a body of `length` bytes; "Connection: keep-alive"
/// or "Connection: close" as decided.
std::string response_head(const response& r, std::uint64_t length, bool keep_alive);

}  // namespace web
