// Fuzzes the web server's request-head parsing (examples/web_server/http_head.hpp: http_parser
// and the checks the server adds) and its body framing, driven as the connection drives them:
// the input after the first byte is one client's byte stream, read in pieces whose sizes the
// first byte chooses, requests back to back (pipelining). Limits are small (1 KiB of head,
// 4 KiB of body) so that inputs reach them.
// Checks: no crash, leak or UB; a refused request gets 400, 405, 413, 431 or 505; an accepted
// one is GET or HEAD, has a target without whitespace, and kept fields without whitespace
// around them; of the first request's header lines, two Content-Length fields, or a
// Content-Length with a Transfer-Encoding, are never accepted, and an accepted HTTP/1.1 request
// has exactly one Host line; and the outcome (each request, its body framing, the final error)
// is the same whether the stream came in pieces or in one read (but for 431 against 400: see
// the end).
#include "fuzz_check.hpp"
#include "http_body.hpp"
#include "http_head.hpp"
#include "http_message.hpp"
#include "server_config.hpp"

#include <http_parser.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

// An invariant; when it fails, the line says which (libFuzzer then saves the input).
const web::server_config& config() {
  static const web::server_config c = [] {
    web::server_config c;
    c.max_header_bytes = 1024;
    c.max_body_bytes = 4096;
    http_parser_set_max_header_size(static_cast<std::uint32_t>(c.max_header_bytes));
    return c;
  }();
  return c;
}

// What the server made of the stream: each request (as text), then how it ended.
struct outcome {
  std::vector<std::string> requests;
  int error_status = 0;  // 0: the stream ended (between or inside requests)
  bool operator==(const outcome&) const = default;
};

std::string describe(const web::request& r, const std::optional<web::body_reader>& body) {
  return r.target + '|' + (r.head ? "HEAD" : "GET") + '|' + (r.keep_alive ? "keep" : "close") +
         '|' + r.if_none_match + '|' + r.if_modified_since + '|' + r.range + '|' + r.if_range +
         '|' + (body ? "body" : "");
}

bool blank(char c) {
  return c == ' ' || c == '\t';
}

void check_request(const web::request& r) {
  fuzz_check(!r.target.empty());
  fuzz_check(r.target.find_first_of(" \t\r\n") == std::string::npos);
  for (const std::string* v : {&r.if_none_match, &r.if_modified_since, &r.range, &r.if_range})
    fuzz_check(v->empty() || (!blank(v->front()) && !blank(v->back())));
}

// Feeds the stream to a head_parser in reads of the sizes next_read() gives, as
// serve_requests does (http_connection.cpp).
template <class NextRead>
outcome serve(std::string_view input, NextRead next_read) {
  web::head_parser parser(config());
  outcome out;
  std::size_t read_at = 0;  // where the current read starts in input
  std::size_t end = 0;      // its size
  std::size_t begin = 0;    // consumed of it
  char before = '\n';
  auto refill = [&] {
    if (end > 0) before = input[read_at + end - 1];
    read_at += end;
    end = std::min(next_read(), input.size() - read_at);
    begin = 0;
    return end != 0;
  };
  for (;;) {
    if (begin == end && !refill()) return out;
    const std::string_view read = input.substr(read_at, end);
    begin += parser.parse(read, begin, before);
    fuzz_check(begin <= end);
    const http_errno err = parser.status();
    if (err == HPE_OK) {
      fuzz_check(begin == end);
      continue;
    }
    if (err != HPE_PAUSED) {
      const web::response res = parser.error_response();
      fuzz_check(res.status == 400 || res.status == 405 || res.status == 413 || res.status == 431 ||
                 res.status == 505);
      fuzz_check(!res.body.empty());
      out.error_status = res.status;
      return out;
    }
    fuzz_check(!parser.in_message());
    check_request(parser.request());
    out.requests.push_back(describe(parser.request(), parser.body()));
    if (std::optional<web::body_reader>& body = parser.body()) {
      for (;;) {
        begin += body->feed(input.substr(read_at + begin, end - begin));
        const web::body_reader::status b = body->state();
        if (b == web::body_reader::status::done) break;
        if (b == web::body_reader::status::malformed) {
          out.error_status = 400;
          return out;
        }
        if (b == web::body_reader::status::too_large) {
          out.error_status = 413;
          return out;
        }
        fuzz_check(begin == end);
        if (!refill()) return out;
      }
      body.reset();
    }
    parser.resume();
  }
}

bool is_name(std::string_view line, std::string_view lower) {
  const std::size_t colon = line.find(':');
  if (colon != lower.size()) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = line[i] >= 'A' && line[i] <= 'Z' ? char(line[i] | 0x20) : line[i];
    if (c != lower[i]) return false;
  }
  return true;
}

// The first request's header lines, read plainly: CRLF or LF line ends, leading empty lines
// skipped, up to the first empty line (none if there is no end of the head).
struct first_head {
  bool complete = false;
  bool http11 = false;
  int content_length = 0;
  int transfer_encoding = 0;
  int host = 0;
};

first_head scan_first_head(std::string_view s) {
  first_head h;
  std::vector<std::string_view> lines;
  std::size_t at = 0;
  while (at < s.size()) {
    const std::size_t nl = s.find('\n', at);
    if (nl == std::string_view::npos) return h;
    std::string_view line = s.substr(at, nl - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    at = nl + 1;
    if (line.empty()) {
      if (lines.empty()) continue;  // before the request line
      h.complete = true;
      break;
    }
    lines.push_back(line);
  }
  if (!h.complete) return h;
  h.http11 = lines[0].size() >= 8 && lines[0].substr(lines[0].size() - 8) == "HTTP/1.1";
  for (std::size_t i = 1; i < lines.size(); ++i) {
    h.content_length += is_name(lines[i], "content-length");
    h.transfer_encoding += is_name(lines[i], "transfer-encoding");
    h.host += is_name(lines[i], "host");
  }
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  unsigned seed = bytes[0];
  const std::string_view input(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  // Read sizes of 1 to 64 bytes (a tiny LCG seeded by the first byte).
  const outcome pieces = serve(input, [&seed] {
    seed = seed * 1103515245u + 12345u;
    return std::size_t{1} + (seed >> 16) % 64;
  });
  const outcome whole = serve(input, [&] { return input.size(); });
  // http_parser counts the head against its limit where a piece of it ends, not at each byte:
  // a head over the limit with a bad byte past the limit is 431 read in small pieces and may be
  // 400 read at once. Both refuse it; only that pair of statuses may differ.
  const bool limit_vs_bad_byte = pieces.requests == whole.requests &&
                                 (pieces.error_status == 431 || whole.error_status == 431) &&
                                 (pieces.error_status == 400 || whole.error_status == 400);
  if (pieces != whole && !limit_vs_bad_byte) {
    for (const outcome* o : {&pieces, &whole}) {
      std::fprintf(stderr, "%s: error %d after\n", o == &pieces ? "pieces" : "whole",
                   o->error_status);
      for (const std::string& r : o->requests) std::fprintf(stderr, "  %s\n", r.c_str());
    }
  }
  fuzz_check(pieces == whole || limit_vs_bad_byte);

  if (!whole.requests.empty()) {
    const first_head h = scan_first_head(input);
    fuzz_check(h.complete);
    fuzz_check(h.content_length <= 1);
    fuzz_check(h.content_length == 0 || h.transfer_encoding == 0);
    if (h.http11) fuzz_check(h.host == 1);
  }
  return 0;
}
