// The strict body framing of http_body.hpp: a byte-at-a-time state machine over chunked
// framing (data is skipped in bulk), and plain counting for Content-Length.
#include "http_body.hpp"

#include "http_chars.hpp"

#include <algorithm>

namespace web {
namespace {

// What may stand in a chunk extension or a field value: visible characters, space, tab and
// obs-text; never CR, LF, NUL or other controls.
bool is_field_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

}  // namespace

body_reader body_reader::of_length(std::uint64_t length) {
  body_reader r(step::length_data, length, 0, 0);
  if (length == 0) r.status_ = status::done;
  return r;
}

body_reader body_reader::chunked(std::uint64_t limit, std::size_t line_limit) {
  return body_reader(step::size, 0, limit, line_limit);
}

std::size_t body_reader::feed(std::string_view data) {
  std::size_t i = 0;
  while (i < data.size() && status_ == status::more) {
    if (step_ == step::length_data || step_ == step::data) {  // data in bulk
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - i));
      i += n;
      remaining_ -= n;
      if (remaining_ == 0) {
        if (step_ == step::length_data) {
          status_ = status::done;
        } else {
          step_ = step::data_cr;
        }
      }
      continue;
    }
    status_ = framing_byte(data[i++]);
  }
  return i;
}

body_reader::status body_reader::framing_byte(char c) noexcept {
  const bool in_line = step_ == step::size || step_ == step::extension ||
                       step_ == step::trailer_start || step_ == step::trailer_name ||
                       step_ == step::trailer_value;
  if (in_line && ++line_bytes_ > line_limit_) return status::malformed;
  switch (step_) {
    case step::size: {
      if (const int v = hex_value(c); v >= 0) {
        if (++size_digits_ > 15) return status::too_large;  // past 2^60 bytes
        size_ = size_ * 16 + static_cast<std::uint64_t>(v);
        return status::more;
      }
      if (size_digits_ == 0) return status::malformed;  // 1*HEXDIG
      if (c == '\r') {
        step_ = step::size_lf;
      } else if (c == ';' || c == ' ' || c == '\t') {
        step_ = step::extension;
      } else {
        return status::malformed;
      }
      return status::more;
    }
    case step::extension:
      if (c == '\r') {
        step_ = step::size_lf;
        return status::more;
      }
      return is_field_char(c) ? status::more : status::malformed;
    case step::size_lf:
      if (c != '\n') return status::malformed;
      line_bytes_ = 0;
      if (size_ == 0) {
        step_ = step::trailer_start;  // last-chunk: the trailer section follows
        return status::more;
      }
      if (size_ > limit_) return status::too_large;
      limit_ -= size_;
      remaining_ = size_;
      size_ = 0;
      size_digits_ = 0;
      step_ = step::data;
      return status::more;
    case step::data_cr:  // chunk data must end with CRLF
      step_ = step::data_lf;
      return c == '\r' ? status::more : status::malformed;
    case step::data_lf:
      step_ = step::size;
      line_bytes_ = 0;  // the next chunk-size line starts
      return c == '\n' ? status::more : status::malformed;
    case step::trailer_start:
      if (c == '\r') {
        step_ = step::final_lf;
        return status::more;
      }
      step_ = step::trailer_name;  // a leading space or tab would be obsolete line folding
      return is_tchar(c) ? status::more : status::malformed;
    case step::trailer_name:
      if (c == ':') {
        step_ = step::trailer_value;
        return status::more;
      }
      return is_tchar(c) ? status::more : status::malformed;  // no space before the colon
    case step::trailer_value:
      if (c == '\r') {
        step_ = step::trailer_lf;
        return status::more;
      }
      return is_field_char(c) ? status::more : status::malformed;
    case step::trailer_lf:
      step_ = step::trailer_start;
      return c == '\n' ? status::more : status::malformed;
    case step::final_lf:
      return c == '\n' ? status::done : status::malformed;
    case step::length_data:
    case step::data:
      break;  // feed() skips data in bulk
  }
  return status::more;
}

}  // namespace web
