// Text from a trace file made safe to print: the one escape every printer of trace text uses
// (the terminal summary and timeline, the HTML page, error messages).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace brigade::trace::detail {

/// The length of the well-formed UTF-8 sequence that starts at s[i] (RFC 3629: no overlong
/// forms, no surrogates, nothing past U+10FFFF), or 0 when the bytes there are not one.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto byte_at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte_at(i);
  if (c < 0x80) return 1;
  const std::size_t n = c >= 0xc2 && c <= 0xdf   ? 2
                        : c >= 0xe0 && c <= 0xef ? 3
                        : c >= 0xf0 && c <= 0xf4 ? 4
                                                 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  const unsigned char second = byte_at(i + 1);
  const unsigned char low = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
  const unsigned char high = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
  if (second < low || second > high) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((byte_at(i + k) & 0xc0) != 0x80) return 0;
  return n;
}

/// s with everything a terminal would act on instead of showing written out visibly: C0 control
/// characters and DEL as "\x1b", the C1 controls U+0080..U+009F and the bidirectional and line
/// separator format characters as "\u009b", and bytes that are not well-formed UTF-8 as "\xff".
/// A trace is user input: a thread named "\u001b[2J" must not clear the screen of whoever draws
/// it. Other text, UTF-8 included, passes unchanged. With keep_newlines, '\n' passes too (for
/// multi-line reports built from already printable parts).
inline std::string printable(std::string_view s, bool keep_newlines = false) {
  constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  auto byte_at = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  auto escape_byte = [&](unsigned char c) {
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 0xf];
  };
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = byte_at(i);
    if (c < 0x80) {
      if ((c < 0x20 || c == 0x7f) && !(keep_newlines && c == '\n')) {
        escape_byte(c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      escape_byte(c);
      ++i;
      continue;
    }
    // Code points a terminal acts on: C1 controls (U+0080..U+009F, "\xc2\x80".."\xc2\x9f"),
    // line and paragraph separators and bidirectional overrides (U+2028..U+202E, U+2066..U+2069)
    // that reorder what is shown.
    unsigned cp = 0;
    if (n == 2) cp = (c & 0x1fU) << 6 | (byte_at(i + 1) & 0x3fU);
    if (n == 3) cp = (c & 0x0fU) << 12 | (byte_at(i + 1) & 0x3fU) << 6 | (byte_at(i + 2) & 0x3fU);
    if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x2028 && cp <= 0x202e) ||
        (cp >= 0x2066 && cp <= 0x2069)) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += hex[(cp >> shift) & 0xf];
    } else {
      out.append(s, i, n);
    }
    i += n;
  }
  return out;
}

}  // namespace brigade::trace::detail
