// Serializing response heads: status line, Date, Content-Type, Content-Length, Connection.
#include "http_message.hpp"

#include <http_parser.h>

#include <charconv>
#include <cstring>
#include <ctime>
#include <utility>

namespace web {
// strftime's %a and %b are English: the server never calls setlocale.
std::string http_date(std::time_t t) {
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(buf, n);
}

response text_response(int status, std::string body) {
  response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

void append_http_date(std::string& out, std::time_t t) {
  // IMF-fixdate is always 29 bytes.
  thread_local std::time_t cached_second = -1;
  thread_local char cached[29];
  if (t != cached_second) {
    std::tm utc{};
    gmtime_r(&t, &utc);
    char buf[40];
    if (std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &utc) != sizeof cached) {
      out += http_date(t);  // a year past 9999: not cached
      return;
    }
    std::memcpy(cached, buf, sizeof cached);
    cached_second = t;
  }
  out.append(cached, sizeof cached);
}

namespace {
void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}
}  // namespace

void append_response_head(std::string& h, const response& r, std::uint64_t length,
                          bool keep_alive) {
  h += "HTTP/1.1 ";
  append_number(h, static_cast<std::uint64_t>(r.status));
  h += ' ';
  h += http_status_str(static_cast<http_status>(r.status));
  h += "\r\nDate: ";
  append_http_date(h, std::time(nullptr));
  h += "\r\nServer: brigade-web_server";
  if (r.status != 304) {
    h += "\r\nContent-Type: ";
    h += r.content_type;
    h += "\r\nContent-Length: ";
    append_number(h, length);
  }
  if (r.allow != nullptr) {
    h += "\r\nAllow: ";
    h += r.allow;
  }
  h += "\r\n";
  h += r.headers;
  h += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
}

std::string response_head(const response& r, std::uint64_t length, bool keep_alive) {
  std::string h;
  h.reserve(192);
  append_response_head(h, r, length, keep_alive);
  return h;
}

}  // namespace web
