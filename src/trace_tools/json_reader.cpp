// The JSON reader behind parse_trace_file: strict RFC 8259 syntax, bounded nesting, exact
// conversion of the integers and microsecond times brigade writes.
#include "json_reader.hpp"
#include "printable.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace brigade::trace::detail {

const json_value* json_value::find(std::string_view key) const noexcept {
  if (kind != type::object) return nullptr;
  const json_value* found = nullptr;
  for (const auto& [k, v] : members)
    if (k == key) found = &v;
  return found;
}

std::string describe_position(std::string_view text, std::size_t offset, bool context) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  const auto line = 1 + std::count(before.begin(), before.end(), '\n');
  const std::size_t nl = before.rfind('\n');
  const std::size_t column = nl == std::string_view::npos ? offset + 1 : offset - nl;
  std::string where = "line " + std::to_string(line) + ", column " + std::to_string(column);
  if (!context) return where;
  if (offset == text.size()) return where + " (the end of the input)";
  // A few characters of context, printable ASCII only, so the message stays one clean line.
  std::string near;
  for (std::size_t i = offset; i < text.size() && near.size() < 16; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n' || c == '\r') break;
    near += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  }
  return where + " (near \"" + near + "\")";
}

void json_reader::fail_at(std::size_t at, const std::string& what) const {
  throw trace_error(std::string(source_) + ": invalid JSON at " +
                    describe_position(text_, at, true) + ": " + what);
}

void json_reader::skip_ws() noexcept {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
    ++pos_;
  }
}

bool json_reader::consume(char c) {
  skip_ws();
  if (pos_ < text_.size() && text_[pos_] == c) {
    ++pos_;
    return true;
  }
  return false;
}

void json_reader::expect(char c, const char* what) {
  if (!consume(c)) fail(std::string("expected '") + c + "' " + what);
}

char json_reader::peek() {
  skip_ws();
  return pos_ < text_.size() ? text_[pos_] : '\0';
}

bool json_reader::at_end() {
  skip_ws();
  return pos_ == text_.size();
}

json_value json_reader::value() {
  return value_at(0);
}

json_value json_reader::value_at(int depth) {
  if (depth > max_depth)
    throw trace_error(std::string(source_) + ": not a brigade trace: nested deeper than " +
                      std::to_string(max_depth) + " levels at " +
                      describe_position(text_, pos_, false));
  skip_ws();
  if (pos_ == text_.size()) fail("expected a value");
  json_value v;
  const char c = text_[pos_];
  if (c == '{') {
    ++pos_;
    v.kind = json_value::type::object;
    if (consume('}')) return v;
    do {
      if (peek() != '"') fail("expected a string as the object's key");
      std::string key = string();
      expect(':', "after an object key");
      v.members.push_back({std::move(key), value_at(depth + 1)});
    } while (consume(','));
    expect('}', "or ',' in an object");
  } else if (c == '[') {
    ++pos_;
    v.kind = json_value::type::array;
    if (consume(']')) return v;
    do v.items.push_back(value_at(depth + 1));
    while (consume(','));
    expect(']', "or ',' in an array");
  } else if (c == '"') {
    v.kind = json_value::type::string;
    v.text = string();
  } else if (c == 't') {
    literal("true");
    v.kind = json_value::type::boolean;
    v.boolean = true;
  } else if (c == 'f') {
    literal("false");
    v.kind = json_value::type::boolean;
  } else if (c == 'n') {
    literal("null");
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    number_into(v);
  } else {
    fail("expected a value");
  }
  return v;
}

void json_reader::literal(std::string_view word) {
  if (text_.substr(pos_, word.size()) != word) fail("expected a value");
  pos_ += word.size();
}

void json_reader::number_into(json_value& v) {
  const std::size_t start = pos_;
  auto digits = [&] {
    const std::size_t from = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return pos_ - from;
  };
  if (text_[pos_] == '-') ++pos_;
  const std::size_t int_start = pos_;
  const std::size_t n = digits();
  if (n == 0) fail("expected digits in a number");
  if (n > 1 && text_[int_start] == '0') fail_at(int_start, "a number cannot start with 0");
  if (pos_ < text_.size() && text_[pos_] == '.') {
    ++pos_;
    if (digits() == 0) fail("expected digits after the decimal point");
  }
  bool negative_exponent = false;
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-'))
      negative_exponent = text_[pos_++] == '-';
    if (digits() == 0) fail("expected digits in the exponent");
  }
  v.kind = json_value::type::number;
  v.text.assign(text_.substr(start, pos_ - start));
  const char* first = v.text.data();
  const auto [end, ec] = std::from_chars(first, first + v.text.size(), v.number);
  if (ec == std::errc::result_out_of_range) {
    const double inf = std::numeric_limits<double>::infinity();
    v.number = negative_exponent ? 0.0 : (v.text[0] == '-' ? -inf : inf);
  }
  (void)end;
}

unsigned json_reader::hex4() {
  if (text_.size() - pos_ < 4) fail("expected four hex digits after \\u");
  unsigned u = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = text_[pos_];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = static_cast<unsigned>(c - 'A' + 10);
    else
      fail("expected four hex digits after \\u");
    u = u * 16 + d;
    ++pos_;
  }
  return u;
}

namespace {

void put_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

}  // namespace

std::string json_reader::string() {
  skip_ws();
  const std::size_t start = pos_;
  if (pos_ == text_.size() || text_[pos_] != '"') fail("expected a string");
  ++pos_;
  std::string out;
  for (;;) {
    if (pos_ == text_.size()) fail_at(start, "unterminated string");
    const char c = text_[pos_++];
    if (c == '"') return out;
    if (static_cast<unsigned char>(c) < 0x20) fail_at(pos_ - 1, "control character in a string");
    if (c != '\\') {
      out += c;
      continue;
    }
    if (pos_ == text_.size()) fail_at(start, "unterminated string");
    const char e = text_[pos_++];
    switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        unsigned cp = hex4();
        if (cp >= 0xd800 && cp < 0xdc00 && text_.substr(pos_, 2) == "\\u") {
          const std::size_t save = pos_;
          pos_ += 2;
          const unsigned low = hex4();
          if (low >= 0xdc00 && low < 0xe000)
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          else
            pos_ = save;
        }
        if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;  // a lone surrogate: the replacement char
        put_utf8(out, cp);
        break;
      }
      default:
        fail_at(pos_ - 1,
                "unknown escape '\\" + printable(std::string_view(&e, 1)) + "' in a string");
    }
  }
}

bool to_uint64(const json_value& v, std::uint64_t& out) noexcept {
  if (v.kind != json_value::type::number || v.text.empty()) return false;
  const char* first = v.text.data();
  const char* last = first + v.text.size();
  const auto [end, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && end == last;
}

bool to_int64(const json_value& v, std::int64_t& out) noexcept {
  if (v.kind != json_value::type::number || v.text.empty()) return false;
  const char* first = v.text.data();
  const char* last = first + v.text.size();
  const auto [end, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && end == last;
}

bool micros_to_ns(const json_value& v, std::int64_t& out) noexcept {
  if (v.kind != json_value::type::number) return false;
  const std::string& s = v.text;
  if (s.find_first_of("eE") != std::string::npos) {  // not brigade's form: go through double
    const double ns = v.number * 1000.0;
    // Bounded well inside int64, so that ts + dur cannot overflow either.
    if (!std::isfinite(ns) || std::fabs(ns) > 4.0e18) return false;
    out = std::llround(ns);
    return true;
  }
  const bool negative = !s.empty() && s[0] == '-';
  const std::size_t dot = s.find('.');
  const std::size_t whole_begin = negative ? 1 : 0;
  const std::size_t whole_end = dot == std::string::npos ? s.size() : dot;
  const std::string_view whole = std::string_view(s).substr(whole_begin, whole_end - whole_begin);
  if (whole.size() > 15) return false;  // beyond ~30 years in microseconds
  std::int64_t us = 0;
  for (const char c : whole) us = us * 10 + (c - '0');
  std::int64_t frac = 0;
  int kept = 0;
  bool round_up = false;
  if (dot != std::string::npos) {
    for (std::size_t i = dot + 1; i < s.size(); ++i, ++kept) {
      if (kept < 3)
        frac = frac * 10 + (s[i] - '0');
      else if (kept == 3)
        round_up = s[i] >= '5';
    }
  }
  for (; kept < 3; ++kept) frac *= 10;
  const std::int64_t ns = us * 1000 + frac + (round_up ? 1 : 0);
  out = negative ? -ns : ns;
  return true;
}

}  // namespace brigade::trace::detail
