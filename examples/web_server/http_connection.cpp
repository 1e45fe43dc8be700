// One connection's life. Between requests it holds no buffer: it waits for readability only.
// Then it reads and parses with http_parser, which is paused after each message so pipelined
// requests are answered one at a time, in order. Deadlines are enforced by the loop's sweeper
// through the connection's stop token: whatever the connection awaits then ends with
// brigade::operation_cancelled, and the connection closes.
#include "http_connection.hpp"

#include "http_body.hpp"
#include "http_chars.hpp"
#include "http_message.hpp"
#include "loop_server.hpp"
#include "routes.hpp"

#include <brigade/core/errors.hpp>

#include <http_parser.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace web {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t read_buffer_bytes = 8 * 1024;
constexpr std::size_t file_chunk_bytes = 64 * 1024;
// What a closing connection still reads and drops (see linger).
constexpr std::size_t linger_bytes = 1024 * 1024;
constexpr std::chrono::milliseconds linger_time = 2s;

// The connection's state that outlives single requests; it lives in serve_connection's frame.
struct connection : connection_entry {
  connection(brigade::tcp_stream s, loop_server& srv, std::stop_source st)
      : stream(std::move(s)), server(srv) {
    stop = std::move(st);
    fd = stream.native_handle();
    server.enter(*this);
  }
  ~connection() { server.leave(*this); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  brigade::tcp_stream stream;
  loop_server& server;
};

// What the parser's callbacks learn about the current request; they reach it via parser.data.
struct parse_state {
  parse_state(const server_config& c, const char* buffer) : config(c), buffer_start(buffer) {}
  const server_config& config;
  request req;
  int error_status = 0;  // set when a callback refuses the request
  std::string error_text;
  bool in_message = false;          // between on_message_begin and on_message_complete
  std::optional<body_reader> body;  // the body to frame once the parser pauses

  // Header lines as the callbacks see them (a name or value may come in pieces when it spans
  // two reads): the name being collected, and what came last.
  enum class last_piece : unsigned char { none, field, value };
  last_piece last = last_piece::none;
  std::string field;
  int host_headers = 0;
  std::string* value = nullptr;  // where the value being read goes (a field we keep), or none
  // Where a piece starts a new line: the byte before it is LF. The read buffer's first byte
  // follows the last byte of the previous read.
  const char* buffer_start;
  char byte_before_buffer = '\n';
  bool starts_line(const char* at) const noexcept {
    return (at > buffer_start ? at[-1] : byte_before_buffer) == '\n';
  }
};

parse_state& state_of(http_parser* p) {
  return *static_cast<parse_state*>(p->data);
}

// Any value but 0, 1 and 2 makes http_parser stop with an HPE_CB_* error.
int refuse(parse_state& s, int status, std::string text) {
  s.error_status = status;
  s.error_text = std::move(text);
  return -1;
}

int on_message_begin(http_parser* p) {
  parse_state& s = state_of(p);
  s.req = request{};
  s.in_message = true;
  s.last = parse_state::last_piece::none;
  s.field.clear();
  s.host_headers = 0;
  s.value = nullptr;
  return 0;
}

// The target is bounded by the parser's header limit (http_parser_set_max_header_size).
int on_url(http_parser* p, const char* at, std::size_t n) {
  state_of(p).req.target.append(at, n);
  return 0;
}

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

// A header's name is complete. RFC 9112 §5.1: no whitespace between the name and the colon —
// "Content-Length : 5", which http_parser honours, MUST be refused (a proxy may read it
// otherwise). So must any name that is not a token.
int finish_field(parse_state& s) {
  if (s.field.empty() || !std::all_of(s.field.begin(), s.field.end(), is_tchar))
    return refuse(s, 400, "invalid header field name (whitespace before the colon?)\n");
  if (is_field(s.field, "host")) ++s.host_headers;
  s.value = kept_value(s.req, s.field);
  return 0;
}

int on_header_field(http_parser* p, const char* at, std::size_t n) {
  parse_state& s = state_of(p);
  if (s.last == parse_state::last_piece::field && !s.starts_line(at)) {
    s.field.append(at, n);  // the rest of a name split between two reads
    return 0;
  }
  // A new line: the previous header (with an empty value, if no value came) is done.
  if (s.last == parse_state::last_piece::field && finish_field(s) != 0) return -1;
  trim(std::exchange(s.value, nullptr));
  s.field.assign(at, n);
  s.last = parse_state::last_piece::field;
  return 0;
}

// Values are bounded by the parser's header limit, as the target is.
int on_header_value(http_parser* p, const char* at, std::size_t n) {
  parse_state& s = state_of(p);
  if (s.last == parse_state::last_piece::field) {
    s.last = parse_state::last_piece::value;
    if (finish_field(s) != 0) return -1;
  } else if (s.starts_line(at)) {
    // A value piece on a line of its own is obsolete line folding (RFC 9112 §5.2): refused.
    return refuse(s, 400, "obsolete line folding in a header\n");
  }
  if (s.value != nullptr) s.value->append(at, n);
  return 0;
}

int on_headers_complete(http_parser* p) {
  parse_state& s = state_of(p);
  if (s.last == parse_state::last_piece::field && finish_field(s) != 0) return -1;
  trim(std::exchange(s.value, nullptr));
  s.req.head = p->method == HTTP_HEAD;
  s.req.keep_alive = http_should_keep_alive(p) != 0;
  if (p->http_major != 1) return refuse(s, 505, "only HTTP/1.0 and HTTP/1.1 are served\n");
  // RFC 9112 §3.2: a 1.1 request without Host, or any request with two, MUST get 400.
  if (s.host_headers > 1 || (p->http_minor >= 1 && s.host_headers == 0))
    return refuse(s, 400, "an HTTP/1.1 request needs exactly one Host header\n");
  // Refused before the body arrives: a client waiting for "100 Continue" gets its answer.
  const std::uint64_t limit = s.config.max_body_bytes;
  if ((p->flags & F_CONTENTLENGTH) != 0 && p->content_length > limit)
    return refuse(s, 413, "request body over " + std::to_string(limit) + " bytes\n");
  if (p->method != HTTP_GET && p->method != HTTP_HEAD)
    return refuse(s, 405, "only GET and HEAD are served\n");
  // The body is framed by body_reader, strictly; 1 tells the parser to skip it.
  if ((p->flags & F_CHUNKED) != 0) {
    s.body = body_reader::chunked(limit, s.config.max_header_bytes);
    return 1;
  }
  if ((p->flags & F_CONTENTLENGTH) != 0 && p->content_length > 0) {
    s.body = body_reader::of_length(p->content_length);
    return 1;
  }
  return 0;
}

// Pausing makes http_parser_execute return right after this message: the rest of the input
// (pipelined requests) waits until this one is answered.
int on_message_complete(http_parser* p) {
  state_of(p).in_message = false;
  http_parser_pause(p, 1);
  return 0;
}

const http_parser_settings parser_settings = [] {
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

// Writes all of data. Each write that makes progress renews the deadline: only a client that
// stops reading is cut off.
brigade::task<void> send_all(connection& c, std::span<const std::byte> data) {
  while (!data.empty()) {
    c.expire_after(c.server.config().idle_timeout);
    data = data.subspan(co_await c.stream.write_some(data));
  }
}

brigade::task<void> send_all(connection& c, const std::string& s) {
  co_await send_all(c, std::as_bytes(std::span(s)));
}

// Streams size bytes of a file from offset in chunks read on the loop (io_uring, or the pool under
// epoll). False when the file shrank after its size was announced: the connection must then close.
brigade::task<bool> send_file(connection& c, brigade::file& f, std::uint64_t offset,
                              std::uint64_t size) {
  const std::size_t cap = static_cast<std::size_t>(std::min<std::uint64_t>(size, file_chunk_bytes));
  const std::unique_ptr<std::byte[]> chunk(new std::byte[cap]);
  for (std::uint64_t at = 0; at < size;) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(size - at, cap));
    const std::size_t n = co_await f.read_at(std::span(chunk.get(), want), offset + at);
    if (n == 0) co_return false;
    co_await send_all(c, std::span<const std::byte>(chunk.get(), n));
    at += n;
  }
  co_return true;
}

// False when the connection must close because the body fell short of Content-Length.
brigade::task<bool> send_response(connection& c, const request& req, response& res, bool keep) {
  const std::uint64_t length = res.file ? res.file_size : res.body.size();
  std::string out = response_head(res, length, keep);
  if (req.head) {
    co_await send_all(c, out);
    co_return true;
  }
  if (!res.file) {
    out += res.body;
    co_await send_all(c, out);
    co_return true;
  }
  co_await send_all(c, out);
  co_return co_await send_file(c, *res.file, res.file_offset, res.file_size);
}

// Closing a socket with unread input makes the kernel send RST, which can destroy the response
// just sent before the client reads it. So: send FIN, then read and drop what the client still
// sends (bounded in bytes and time) until it closes its side.
brigade::task<void> linger(connection& c, std::span<char> scratch) {
  c.stream.shutdown_write();
  c.expire_after(std::min(linger_time, c.server.config().header_timeout));
  for (std::size_t dropped = 0; dropped < linger_bytes;) {
    const std::size_t n = co_await c.stream.read(scratch);
    if (n == 0) break;
    dropped += n;
  }
}

response parse_error(const parse_state& st, http_errno err) {
  if (st.error_status != 0) {
    response r = text_response(st.error_status, st.error_text);
    if (r.status == 405) r.allow = "GET, HEAD";
    return r;
  }
  if (err == HPE_HEADER_OVERFLOW)
    return text_response(431, "request line and headers over " +
                                  std::to_string(st.config.max_header_bytes) + " bytes\n");
  return text_response(400, std::string("bad request: ") + http_errno_description(err) + "\n");
}

// Reads, parses and answers requests until the input ends at a request boundary (true: wait
// for the next one) or the connection must close (false).
brigade::task<bool> serve_requests(connection& c) {
  const server_config& cfg = c.server.config();
  const std::unique_ptr<char[]> buf(new char[read_buffer_bytes]);
  const std::span<char> space(buf.get(), read_buffer_bytes);
  std::size_t begin = 0;
  std::size_t end = 0;
  bool answered = false;
  parse_state st(cfg, buf.get());
  http_parser parser;
  http_parser_init(&parser, HTTP_REQUEST);
  parser.data = &st;
  // Reads the next bytes into the buffer (all before them are consumed); false at the end.
  auto refill = [&]() -> brigade::task<bool> {
    if (end > 0) st.byte_before_buffer = buf[end - 1];
    const std::size_t n = co_await c.stream.read(space);
    begin = 0;
    end = n;
    co_return n != 0;
  };
  // From a request's first byte to the end of its headers: one fixed deadline, not renewed by
  // progress, so that trickling bytes (slowloris) does not keep a connection.
  c.expire_after(cfg.header_timeout);
  for (;;) {
    if (begin == end) {
      if (answered && !st.in_message) co_return true;
      if (!co_await refill()) co_return false;  // the client closed its side
    }
    begin += http_parser_execute(&parser, &parser_settings, buf.get() + begin, end - begin);
    const auto err = HTTP_PARSER_ERRNO(&parser);
    if (err == HPE_OK && begin == end) continue;
    if (err != HPE_PAUSED) {
      response res = parse_error(st, err);
      co_await send_response(c, st.req, res, false);
      co_await linger(c, space);
      co_return false;
    }
    if (st.body) {  // the parser left the body to us: framed strictly, then dropped
      for (;;) {
        begin += st.body->feed(std::string_view(buf.get() + begin, end - begin));
        const body_reader::status b = st.body->state();
        if (b == body_reader::status::done) break;
        if (b != body_reader::status::more) {
          response res =
              b == body_reader::status::too_large
                  ? text_response(
                        413, "request body over " + std::to_string(cfg.max_body_bytes) + " bytes\n")
                  : text_response(400, "bad request: malformed chunked body\n");
          co_await send_response(c, st.req, res, false);
          co_await linger(c, space);
          co_return false;
        }
        c.expire_after(cfg.idle_timeout);  // a body: progress counts
        if (!co_await refill()) co_return false;
      }
      st.body.reset();
    }
    c.no_deadline();  // computing the answer is our time, not the client's
    response res;
    try {
      res = co_await route(st.req, c.server.shared(), c.fd);
    } catch (const brigade::operation_cancelled&) {
      throw;
    } catch (const std::exception&) {
      res = text_response(500, "internal server error\n");
    }
    const bool keep = st.req.keep_alive && parser.upgrade == 0 && !c.server.draining();
    if (!co_await send_response(c, st.req, res, keep) || !keep) {
      co_await linger(c, space);
      co_return false;
    }
    answered = true;
    http_parser_pause(&parser, 0);
    c.expire_after(cfg.header_timeout);
  }
}

}  // namespace

brigade::task<void> serve_connection(brigade::tcp_stream stream, loop_server& server,
                                     std::stop_source stop) {
  connection c(std::move(stream), server, std::move(stop));
  try {
    for (;;) {
      // Idle: this frame and the socket are all the connection costs.
      server.set_waiting(c, true);
      c.expire_after(server.config().idle_timeout);
      co_await c.stream.wait_readable();
      server.set_waiting(c, false);
      if (!co_await serve_requests(c)) break;
    }
  } catch (const brigade::operation_cancelled&) {
    // A deadline passed, or the server drains: close without a word.
  } catch (const std::exception&) {
    // Reset by the peer, or out of memory for this connection: nobody left to answer.
  }
}

}  // namespace web
