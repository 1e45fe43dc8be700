// Request heads: http_parser's callbacks, and the checks RFC 9112 asks for that it lacks.
#include "http_head.hpp"

#include "http_chars.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace web {

namespace {

// Whether a field name equals `lower`, a lower-case name, ignoring case.
bool is_field(std::string_view name, std::string_view lower) noexcept {
  if (name.size() != lower.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i] >= 'A' && name[i] <= 'Z' ? static_cast<char>(name[i] | 0x20) : name[i];
    if (c != lower[i]) return false;
  }
  return true;
}

// The request member that keeps the field `name`'s value, or nullptr for a field we drop. A
// repeated field's values are joined as a list (RFC 9110 §5.3).
std::string* kept_value(request& req, std::string_view name) {
  std::string* v = is_field(name, "if-none-match")       ? &req.if_none_match
                   : is_field(name, "if-modified-since") ? &req.if_modified_since
                   : is_field(name, "range")             ? &req.range
                   : is_field(name, "if-range")          ? &req.if_range
                                                         : nullptr;
  if (v != nullptr && !v->empty()) *v += ", ";
  return v;
}

// A kept value without the whitespace around it (http_parser may leave it at the end).
void trim(std::string* v) {
  if (v == nullptr) return;
  while (!v->empty() && (v->back() == ' ' || v->back() == '\t')) v->pop_back();
  std::size_t n = 0;
  while (n < v->size() && ((*v)[n] == ' ' || (*v)[n] == '\t')) ++n;
  v->erase(0, n);
}

}  // namespace

// The callbacks reach the head_parser through parser.data.
struct head_callbacks {
  static head_parser& of(http_parser* p) { return *static_cast<head_parser*>(p->data); }

  // Any value but 0, 1 and 2 makes http_parser stop with an HPE_CB_* error.
  static int refuse(head_parser& s, int status, std::string text) {
    s.error_status_ = status;
    s.error_text_ = std::move(text);
    return -1;
  }

  static int on_message_begin(http_parser* p) {
    head_parser& s = of(p);
    s.req_ = request{};
    s.in_message_ = true;
    s.last_ = head_parser::last_piece::none;
    s.field_.clear();
    s.host_headers_ = 0;
    s.value_ = nullptr;
    return 0;
  }

  // The target is bounded by the parser's header limit (http_parser_set_max_header_size).
  // http_parser without HTTP_PARSER_STRICT lets HT and FF into it; RFC 9112 §3.2 allows no
  // whitespace there (a proxy may split the request line at it), so they are refused.
  static int on_url(http_parser* p, const char* at, std::size_t n) {
    head_parser& s = of(p);
    const std::string_view piece(at, n);
    if (piece.find_first_of("\t\f\v\r\n ") != std::string_view::npos)
      return refuse(s, 400, "whitespace in the request target\n");
    s.req_.target.append(piece);
    return 0;
  }

  // A header's name is complete. RFC 9112 §5.1: no whitespace between the name and the colon
  // — "Content-Length : 5", which http_parser honours, MUST be refused (a proxy may read it
  // otherwise). So must any name that is not a token.
  static int finish_field(head_parser& s) {
    if (s.field_.empty() || !std::all_of(s.field_.begin(), s.field_.end(), is_tchar))
      return refuse(s, 400, "invalid header field name (whitespace before the colon?)\n");
    if (is_field(s.field_, "host")) ++s.host_headers_;
    s.value_ = kept_value(s.req_, s.field_);
    return 0;
  }

  static int on_header_field(http_parser* p, const char* at, std::size_t n) {
    head_parser& s = of(p);
    if (s.last_ == head_parser::last_piece::field && !s.starts_line(at)) {
      s.field_.append(at, n);  // the rest of a name split between two reads
      return 0;
    }
    // A new line: the previous header (with an empty value, if no value came) is done.
    if (s.last_ == head_parser::last_piece::field && finish_field(s) != 0) return -1;
    trim(std::exchange(s.value_, nullptr));
    s.field_.assign(at, n);
    s.last_ = head_parser::last_piece::field;
    return 0;
  }

  // Values are bounded by the parser's header limit, as the target is.
  static int on_header_value(http_parser* p, const char* at, std::size_t n) {
    head_parser& s = of(p);
    if (s.last_ == head_parser::last_piece::field) {
      s.last_ = head_parser::last_piece::value;
      if (finish_field(s) != 0) return -1;
    } else if (s.starts_line(at)) {
      // A value piece on a line of its own is obsolete line folding (RFC 9112 §5.2): refused.
      return refuse(s, 400, "obsolete line folding in a header\n");
    }
    if (s.value_ != nullptr) s.value_->append(at, n);
    return 0;
  }

  static int on_headers_complete(http_parser* p) {
    head_parser& s = of(p);
    if (s.last_ == head_parser::last_piece::field && finish_field(s) != 0) return -1;
    trim(std::exchange(s.value_, nullptr));
    s.req_.head = p->method == HTTP_HEAD;
    s.req_.keep_alive = http_should_keep_alive(p) != 0;
    if (p->http_major != 1) return refuse(s, 505, "only HTTP/1.0 and HTTP/1.1 are served\n");
    // RFC 9112 §3.2: a 1.1 request without Host, or any request with two, MUST get 400.
    if (s.host_headers_ > 1 || (p->http_minor >= 1 && s.host_headers_ == 0))
      return refuse(s, 400, "an HTTP/1.1 request needs exactly one Host header\n");
    // Refused before the body arrives: a client waiting for "100 Continue" gets its answer.
    const std::uint64_t limit = s.config_.max_body_bytes;
    if ((p->flags & F_CONTENTLENGTH) != 0 && p->content_length > limit)
      return refuse(s, 413, "request body over " + std::to_string(limit) + " bytes\n");
    if (p->method != HTTP_GET && p->method != HTTP_HEAD)
      return refuse(s, 405, "only GET and HEAD are served\n");
    // The body is framed by body_reader, strictly; 1 tells the parser to skip it.
    if ((p->flags & F_CHUNKED) != 0) {
      s.body_ = body_reader::chunked(limit, s.config_.max_header_bytes);
      return 1;
    }
    if ((p->flags & F_CONTENTLENGTH) != 0 && p->content_length > 0) {
      s.body_ = body_reader::of_length(p->content_length);
      return 1;
    }
    return 0;
  }

  // Pausing makes http_parser_execute return right after this message: the rest of the input
  // (pipelined requests) waits until this one is answered.
  static int on_message_complete(http_parser* p) {
    of(p).in_message_ = false;
    http_parser_pause(p, 1);
    return 0;
  }

  static const http_parser_settings settings;
};

const http_parser_settings head_callbacks::settings = [] {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_message_begin = on_message_begin;
  s.on_url = on_url;
  s.on_header_field = on_header_field;
  s.on_header_value = on_header_value;
  s.on_headers_complete = on_headers_complete;
  s.on_message_complete = on_message_complete;
  return s;
}();

head_parser::head_parser(const server_config& config) : config_(config) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

std::size_t head_parser::parse(std::string_view read, std::size_t begin, char byte_before_read) {
  read_start_ = read.data();
  byte_before_read_ = byte_before_read;
  const std::size_t n = http_parser_execute(&parser_, &head_callbacks::settings,
                                            read.data() + begin, read.size() - begin);
  // http_parser built without HTTP_PARSER_STRICT (as distributions ship it) takes a CR
  // followed by any byte for a line end: "X-A: 1\rContent-Length: 5" is two fields to it, one
  // to a proxy that replaces the bare CR by a space as RFC 9112 §2.2 allows. A bare CR in a
  // request head is refused instead (it was consumed; its follower comes now or next read).
  const std::string_view consumed = read.substr(begin, n);
  for (std::size_t i = 0; i < consumed.size(); ++i) {
    if (cr_pending_ && consumed[i] != '\n') {
      error_status_ = 400;
      error_text_ = "bad request: a CR not followed by LF in the request head\n";
      parser_.http_errno = HPE_LF_EXPECTED;
      return i;
    }
    cr_pending_ = consumed[i] == '\r';
  }
  return n;
}

response head_parser::error_response() const {
  if (error_status_ != 0) {
    response r = text_response(error_status_, error_text_);
    if (r.status == 405) r.allow = "GET, HEAD";
    return r;
  }
  const http_errno err = status();
  if (err == HPE_HEADER_OVERFLOW)
    return text_response(431, "request line and headers over " +
                                  std::to_string(config_.max_header_bytes) + " bytes\n");
  return text_response(400, std::string("bad request: ") + http_errno_description(err) + "\n");
}

}  // namespace web
