// Serializing response heads: status line, Date, Content-Type, Content-Length, Connection.
#include "http_message.hpp"

#include <http_parser.h>

#include <ctime>
#include <utility>

namespace web {
namespace {

// RFC 9110's IMF-fixdate. strftime's %a and %b are English: the server never calls setlocale.
std::string http_date() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(buf, n);
}

}  // namespace

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
  h += http_date();
  h += "\r\nServer: brigade-web_server\r\nContent-Type: ";
  h += r.content_type;
  h += "\r\nContent-Length: ";
  h += std::to_string(length);
  if (r.allow != nullptr) {
    h += "\r\nAllow: ";
    h += r.allow;
  }
  h += keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
  return h;
}

}  // namespace web
