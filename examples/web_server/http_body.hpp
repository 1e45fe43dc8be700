// Request bodies, framed strictly. http_parser accepts some malformed framing (any two bytes
// after chunk data, a lone CR or LF where CRLF belongs), and a server that frames a body
// differently from a proxy in front of it can be made to swallow or invent requests (request
// smuggling). So the parser is told to leave bodies alone, and this reader frames them by
// RFC 9112 §6 and §7.1, refusing anything else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace web {

/// Consumes one request body (Content-Length or chunked) from the bytes that follow its
/// headers, counting it against a limit and dropping it (no route takes a body).
class body_reader {
 public:
  enum class status {
    more,       ///< not finished: feed the next bytes
    done,       ///< the body ended; what follows belongs to the next request
    malformed,  ///< framing error: answer 400 and close
    too_large,  ///< over the limit: answer 413 and close
  };

  /// A body of exactly `length` bytes (Content-Length).
  static body_reader of_length(std::uint64_t length);
  /// A chunked body whose data may total `limit` bytes and whose trailer section (and each
  /// chunk-size line) `line_limit` bytes.
  static body_reader chunked(std::uint64_t limit, std::size_t line_limit);

  /// Consumes from the front of `data` and returns how many bytes belong to the body; stops
  /// right after the body's end (status() == done) or at the first bad byte.
  std::size_t feed(std::string_view data);
  status state() const noexcept { return status_; }

 private:
  enum class step : unsigned char {
    length_data,    // Content-Length: remaining_ bytes
    size,           // chunk-size hex digits
    extension,      // after the size: whitespace and chunk-ext, up to CR
    size_lf,        // LF after the size line's CR
    data,           // chunk data: remaining_ bytes
    data_cr,        // CR after chunk data
    data_lf,        // LF after that CR
    trailer_start,  // start of a trailer field line, or CR of the final CRLF
    trailer_name,   // field-name up to ':'
    trailer_value,  // field value up to CR
    trailer_lf,     // LF after a trailer line's CR
    final_lf,       // LF of the final CRLF
  };
  body_reader(step s, std::uint64_t remaining, std::uint64_t limit, std::size_t line_limit)
      : step_(s), remaining_(remaining), limit_(limit), line_limit_(line_limit) {}
  // One byte of chunked framing (sizes, CRLFs, trailers); the status it leads to.
  status framing_byte(char c) noexcept;

  step step_;
  status status_ = status::more;
  std::uint64_t remaining_;  // bytes of data left (length or current chunk)
  std::uint64_t limit_;      // chunked: data bytes still allowed
  std::size_t line_limit_;
  std::uint64_t size_ = 0;       // the chunk size being read
  std::size_t size_digits_ = 0;  // its hex digits
  std::size_t line_bytes_ = 0;   // of the current size line or trailer section
};

}  // namespace web
