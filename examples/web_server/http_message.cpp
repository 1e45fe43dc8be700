// Serializing response heads: status line, Date, Content-Type, Content-Length, Connection.
#include "http_message.hpp"

#include <http_parser.h>

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

std::string response_head(const response& r, std::uint64_t length, bool keep_alive) {
  std::string h;
  h.reserve(192);
  h += "HTTP/1.1 ";
  h += std::to_string(r.status);
  h += ' ';
  h += http_status_str(static_cast<http_status>(r.status));
  h += "\r\nDate: ";
  h += http_date(std::time(nullptr));
  h += "\r\nServer: brigade-web_server";
  if (r.status != 304) {
    h += "\r\nContent-Type: ";
    h += r.content_type;
    h += "\r\nContent-Length: ";
    h += std::to_string(length);
  }
  if (r.allow != nullptr) {
    h += "\r\nAllow: ";
    h += r.allow;
  }
  h += "\r\n";
  h += r.headers;
  h += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  return h;
}

}  // namespace web
