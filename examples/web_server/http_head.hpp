// Request heads (request line and header fields), parsed by http_parser plus the checks it
// lacks: field names that are tokens, no obsolete line folding, no bare CR, exactly one Host,
// the methods and versions served, the body limit, and bodies left to body_reader. A plain object
// over bytes, so the connection coroutine and the fuzzer (fuzz/fuzz_http_headers.cpp) share it.
#pragma once

#include "http_body.hpp"
#include "http_message.hpp"
#include "server_config.hpp"

#include <http_parser.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace web {

/// Parses the requests of one connection's byte stream, one head at a time: after each
/// complete head (and the empty body, or the body left to body()) the parser pauses, so that
/// pipelined requests are answered one at a time, in order.
///
/// Use: parse() the bytes received; when it stops short of them, status() says why: paused
/// (a request is complete: request(), then drain body() if set, answer, and resume()) or an
/// error (answer error_response() and close).
/// Thread safety: one object per connection; none of its members may be called concurrently.
class head_parser {
 public:
  explicit head_parser(const server_config& config);
  head_parser(const head_parser&) = delete;
  head_parser& operator=(const head_parser&) = delete;

  /// Parses read[begin..]: `read` is all the bytes of the current read (the parser looks at
  /// the byte before a piece to tell where lines start), `byte_before_read` the last byte of
  /// the previous read ('\n' before the first). Returns the bytes consumed; fewer than offered
  /// when the parser paused after a request or refused one (see status()).
  std::size_t parse(std::string_view read, std::size_t begin, char byte_before_read = '\n');

  /// HPE_OK (wants more bytes), HPE_PAUSED (a request is complete), or the error.
  http_errno status() const noexcept { return HTTP_PARSER_ERRNO(&parser_); }
  /// Goes on after a complete request (pipelined bytes may follow).
  void resume() noexcept { http_parser_pause(&parser_, 0); }

  /// The request being parsed, or the one just completed.
  const web::request& request() const noexcept { return req_; }
  /// The body to frame (and drop) before the next request, if the request has one; reset it
  /// when done.
  std::optional<body_reader>& body() noexcept { return body_; }
  /// Whether the parser is inside a message (between its first byte and its end).
  bool in_message() const noexcept { return in_message_; }
  /// Whether the request asked to switch protocols (not served: the connection closes).
  bool upgrade() const noexcept { return parser_.upgrade != 0; }

  /// The response to a refused request (status() is an error): 400, 405, 413, 431 or 505.
  response error_response() const;

 private:
  friend struct head_callbacks;
  // Where a piece starts a new line: the byte before it is LF.
  bool starts_line(const char* at) const noexcept {
    return (at > read_start_ ? at[-1] : byte_before_read_) == '\n';
  }

  const server_config& config_;
  http_parser parser_;
  web::request req_;
  int error_status_ = 0;  // set when a callback refuses the request
  std::string error_text_;
  bool in_message_ = false;          // between on_message_begin and on_message_complete
  std::optional<body_reader> body_;  // the body to frame once the parser pauses

  // Header lines as the callbacks see them (a name or value may come in pieces when it spans
  // two reads): the name being collected, and what came last.
  enum class last_piece : unsigned char { none, field, value };
  last_piece last_ = last_piece::none;
  std::string field_;
  int host_headers_ = 0;
  std::string* value_ = nullptr;  // where the value being read goes (a field we keep), or none
  const char* read_start_ = nullptr;
  char byte_before_read_ = '\n';
  bool cr_pending_ = false;  // the last byte consumed was a CR: an LF must follow
};

}  // namespace web
