// The RESP2 parser and reply writers. Error texts are Redis's own, so that clients (and
// people) see the messages they know.
#include "resp.hpp"

#include <charconv>
#include <cstring>

namespace kv {

void resp_parser::reset() noexcept {
  pos_ = 0;
  expected_ = -1;
  bulk_len_ = -1;
  wanted_ = 0;
  spans_.clear();
}

resp_parser::status resp_parser::fail(std::string message) {
  error_ = std::move(message);
  return status::error;
}

bool resp_parser::line_at(std::string_view data, std::string_view& line) const noexcept {
  const auto* begin = data.data() + pos_;
  const void* nl = std::memchr(begin, '\r', data.size() - pos_);
  if (nl == nullptr) return false;
  const auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - begin);
  if (pos_ + len + 1 >= data.size()) return false;  // the '\n' is not here yet
  line = std::string_view(begin, len);
  return true;
}

namespace {

bool to_int(std::string_view s, std::int64_t& v) noexcept {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

resp_parser::status resp_parser::parse(std::string_view data) {
  if (pos_ == 0 && expected_ < 0) {
    if (data.empty()) return status::incomplete;
    if (data[0] != '*') return parse_inline(data);
    std::string_view line;
    if (!line_at(data, line)) {
      if (data.size() > limits_.max_inline)
        return fail("Protocol error: too big mbulk count string");
      wanted_ = data.size() + 1;
      return status::incomplete;
    }
    std::int64_t n = 0;
    if (!to_int(line.substr(1), n) || n > static_cast<std::int64_t>(limits_.max_args))
      return fail("Protocol error: invalid multibulk length");
    pos_ = line.size() + 2;
    expected_ = n < 0 ? 0 : n;
  }
  while (static_cast<std::int64_t>(spans_.size()) < expected_) {
    if (bulk_len_ < 0) {
      if (pos_ >= data.size()) {
        wanted_ = pos_ + 1;
        return status::incomplete;
      }
      if (data[pos_] != '$')
        return fail(std::string("Protocol error: expected '$', got '") + data[pos_] + "'");
      std::string_view line;
      if (!line_at(data, line)) {
        if (data.size() - pos_ > limits_.max_inline)
          return fail("Protocol error: too big bulk count string");
        wanted_ = data.size() + 1;
        return status::incomplete;
      }
      std::int64_t len = 0;
      if (!to_int(line.substr(1), len) || len < 0 ||
          static_cast<std::uint64_t>(len) > limits_.max_bulk)
        return fail("Protocol error: invalid bulk length");
      pos_ += line.size() + 2;
      bulk_len_ = len;
    }
    const auto len = static_cast<std::size_t>(bulk_len_);
    if (data.size() < pos_ + len + 2) {
      wanted_ = pos_ + len + 2;
      return status::incomplete;
    }
    if (data[pos_ + len] != '\r' || data[pos_ + len + 1] != '\n')
      return fail("Protocol error: bulk string not terminated by CRLF");
    spans_.emplace_back(pos_, len);
    pos_ += len + 2;
    bulk_len_ = -1;
  }
  return status::complete;
}

resp_parser::status resp_parser::parse_inline(std::string_view data) {
  const void* nl = std::memchr(data.data(), '\n', data.size());
  if (nl == nullptr) {
    if (data.size() > limits_.max_inline) return fail("Protocol error: too big inline request");
    wanted_ = data.size() + 1;
    return status::incomplete;
  }
  const auto end = static_cast<std::size_t>(static_cast<const char*>(nl) - data.data());
  for (std::size_t i = 0; i < end;) {
    while (i < end && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < end && data[i] != ' ' && data[i] != '\t' && data[i] != '\r') ++i;
    if (i > start) spans_.emplace_back(start, i - start);
  }
  pos_ = end + 1;
  expected_ = static_cast<std::int64_t>(spans_.size());
  return status::complete;  // an empty line completes with no arguments: the caller skips it
}

const std::vector<std::string_view>& resp_parser::args(std::string_view data) {
  views_.clear();
  for (const auto& [at, len] : spans_) views_.emplace_back(data.data() + at, len);
  return views_;
}

namespace reply {

namespace {
void line(std::string& out, char kind, std::int64_t v) {
  char buf[24];
  buf[0] = kind;
  const auto r = std::to_chars(buf + 1, buf + sizeof buf - 2, v);
  out.append(buf, r.ptr);
  out += "\r\n";
}
}  // namespace

void simple(std::string& out, std::string_view s) {
  out += '+';
  out += s;
  out += "\r\n";
}

void error(std::string& out, std::string_view s) {
  out += '-';
  out += s;
  out += "\r\n";
}

void integer(std::string& out, std::int64_t v) {
  line(out, ':', v);
}

void bulk(std::string& out, std::string_view s) {
  line(out, '$', static_cast<std::int64_t>(s.size()));
  out += s;
  out += "\r\n";
}

void null_bulk(std::string& out) {
  out += "$-1\r\n";
}

void array(std::string& out, std::size_t n) {
  line(out, '*', static_cast<std::int64_t>(n));
}

}  // namespace reply
}  // namespace kv
