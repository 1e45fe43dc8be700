// The JSON side of reading a trace: the scalar values an event is made of (integers kept exact,
// other numbers with their literal), and the input nlohmann-json's SAX parser reads through
// (bytes that are not UTF-8 carried across, positions for error messages).
#pragma once

#include "printable.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brigade::trace::detail {

/// One scalar member of an object as read: a string, an exact integer, another number (with its
/// literal, so microseconds convert exactly), or something else (null, a boolean, a container).
struct scalar {
  enum class type : std::uint8_t { other, string, integer, number };
  type kind = type::other;
  std::string text;  // a string's value; a number's literal
  bool fits_signed = false;
  bool fits_unsigned = false;
  std::int64_t signed_value = 0;
  std::uint64_t unsigned_value = 0;
  double number = 0;

  bool is_number() const noexcept { return kind == type::integer || kind == type::number; }

  bool to_uint64(std::uint64_t& out) const noexcept {
    if (kind != type::integer || !fits_unsigned) return false;
    out = unsigned_value;
    return true;
  }
  bool to_int64(std::int64_t& out) const noexcept {
    if (kind != type::integer || !fits_signed) return false;
    out = signed_value;
    return true;
  }

  /// Microseconds (brigade writes three decimals) as nanoseconds, exactly unless the literal has
  /// an exponent; false when out of range (beyond ~30 years, so that ts + dur cannot overflow).
  bool micros_to_ns(std::int64_t& out) const noexcept {
    constexpr std::int64_t max_us = 999'999'999'999'999;  // 15 digits
    if (kind == type::integer) {
      if (!fits_signed || signed_value > max_us || signed_value < -max_us) return false;
      out = signed_value * 1000;
      return true;
    }
    if (kind != type::number) return false;
    const std::string& s = text;
    if (s.find_first_of("eE") != std::string::npos) {  // not brigade's form: go through double
      const double ns = number * 1000.0;
      if (!std::isfinite(ns) || std::fabs(ns) > 4.0e18) return false;
      out = std::llround(ns);
      return true;
    }
    const bool negative = !s.empty() && s[0] == '-';
    const std::size_t dot = s.find('.');
    const std::size_t whole_begin = negative ? 1 : 0;
    const std::size_t whole_end = dot == std::string::npos ? s.size() : dot;
    const std::string_view whole = std::string_view(s).substr(whole_begin, whole_end - whole_begin);
    if (whole.size() > 15) return false;
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
};

/// The scalar members of one JSON object, in their order (a repeated key: the last one counts).
struct members {
  std::vector<std::pair<std::string, scalar>> items;
  bool present = false;  // false: absent, or not an object

  const scalar* find(std::string_view key) const noexcept {
    for (auto it = items.rbegin(); it != items.rend(); ++it)
      if (it->first == key) return &it->second;
    return nullptr;
  }
  void clear() noexcept {
    items.clear();
    present = false;
  }
};

/// "line 3, column 14" for a byte offset into text; with context, the text there follows
/// ("line 3, column 14 (near \"x\": 1}\")").
inline std::string describe_position(std::string_view text, std::size_t offset, bool context) {
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

// Names may hold bytes that are not UTF-8 (brigade records whatever a program named things), but
// nlohmann-json refuses such strings. The parser reads the text through this iterator, which
// hands each such byte b over as the private-use code point U+10FF00 + b; restore_bytes() turns
// them back, so the printers write them out as "\xff" as for any other name. It also remembers
// where the parser is, for the positions in error messages (SAX callbacks carry none).
struct read_position {
  const char* last = nullptr;  // the byte the parser read last
  std::size_t extra = 0;       // bytes handed over beyond the text's (3 per byte replaced)
};

class utf8_safe_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = char;

  utf8_safe_iterator(std::string_view text, std::size_t at, read_position* pos)
      : text_(text), at_(at), pos_(pos) {}

  char operator*() const {
    pos_->last = text_.data() + at_;
    if (!replaced()) return text_[at_];
    return replacement()[sub_];
  }
  utf8_safe_iterator& operator++() {
    if (!replaced()) {
      const std::size_t n = pending_ > 0 ? 1 : detail::utf8_sequence_length(text_, at_);
      pending_ = pending_ > 0 ? pending_ - 1 : n - 1;
      ++at_;
      return *this;
    }
    ++pos_->extra;
    if (++sub_ == 4) {
      sub_ = 0;
      ++at_;
      pos_->extra -= 1;  // four bytes handed over for one: three extra
    }
    return *this;
  }
  utf8_safe_iterator operator++(int) {
    utf8_safe_iterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const utf8_safe_iterator& o) const noexcept {
    return at_ == o.at_ && sub_ == o.sub_;
  }
  bool operator!=(const utf8_safe_iterator& o) const noexcept { return !(*this == o); }

 private:
  bool replaced() const noexcept {
    return pending_ == 0 && static_cast<unsigned char>(text_[at_]) >= 0x80 &&
           detail::utf8_sequence_length(text_, at_) == 0;
  }
  std::array<char, 4> replacement() const noexcept {
    const unsigned cp = 0x10ff00U + static_cast<unsigned char>(text_[at_]);
    return {static_cast<char>(0xf0U | (cp >> 18)), static_cast<char>(0x80U | ((cp >> 12) & 0x3fU)),
            static_cast<char>(0x80U | ((cp >> 6) & 0x3fU)),
            static_cast<char>(0x80U | (cp & 0x3fU))};
  }

  std::string_view text_;
  std::size_t at_ = 0;
  std::size_t pending_ = 0;  // continuation bytes left of a well-formed sequence
  int sub_ = 0;              // which byte of a replacement is next
  read_position* pos_;
};

/// Undoes utf8_safe_iterator's replacements in a string the parser produced.
inline void restore_bytes(std::string& s) {
  std::size_t w = 0;
  for (std::size_t r = 0; r < s.size();) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[r + k]); };
    if (r + 4 <= s.size() && b(0) == 0xf4 && b(1) == 0x8f && b(2) >= 0xbe) {
      const unsigned cp = (b(1) & 0x3fU) << 12 | (b(2) & 0x3fU) << 6 | (b(3) & 0x3fU);
      s[w++] = static_cast<char>(0x80U + (cp & 0x7fU));
      r += 4;
    } else {
      s[w++] = s[r++];
    }
  }
  s.resize(w);
}

}  // namespace brigade::trace::detail
