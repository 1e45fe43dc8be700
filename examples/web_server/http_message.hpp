// HTTP/1.1 messages as the server sees them: a parsed request, and a response to send.
#pragma once

#include <brigade/io/file.hpp>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>

namespace web {

/// A request whose headers the parser accepted (the server reads no bodies: it has no route
/// that takes one, so a body is counted against the limit and dropped).
struct request {
  std::string target;      ///< as sent: "/a%20b?x=1"
  bool head = false;       ///< HEAD: the same headers as GET, no body
  bool keep_alive = true;  ///< by HTTP/1.1 (close on "Connection: close") and 1.0 rules
  // The header fields static files look at, without surrounding whitespace; "" when absent.
  // Fields sent more than once are joined with ", " (RFC 9110 §5.3), so two Range fields make
  // a list of two ranges.
  std::string if_none_match;
  std::string if_modified_since;
  std::string range;
  std::string if_range;
};

/// A response: a small body held in memory, or a file streamed from disk.
struct response {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::optional<brigade::file> file;  ///< set: send file_size bytes of it instead of body
  std::uint64_t file_offset = 0;      ///< where in the file those bytes start (a range)
  std::uint64_t file_size = 0;
  std::string headers;          ///< more header lines, each "Name: value\r\n" (ETag, Content-Range)
  const char* allow = nullptr;  ///< the Allow header of a 405
};

/// t as RFC 9110's IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::time_t t);

/// A text/plain response.
response text_response(int status, std::string body);

/// Appends t as http_date does, to out. The text of the current second is kept per thread, so
/// the Date of every response costs a copy of 29 bytes, not a gmtime and a strftime.
void append_http_date(std::string& out, std::time_t t);

/// Appends to out the status line and headers for r with a body of `length` bytes;
/// "Connection: keep-alive" or "Connection: close" as decided. A 304 gets neither Content-Type
/// nor Content-Length: it has no body, and RFC 9110 §8.6 lets its Content-Length only repeat
/// the 200's. Allocates only if out has too little capacity.
void append_response_head(std::string& out, const response& r, std::uint64_t length,
                          bool keep_alive);

/// The same head as a string of its own.
std::string response_head(const response& r, std::uint64_t length, bool keep_alive);

}  // namespace web
