// The character classes the HTTP code shares: token characters and hex digits.
#pragma once

#include <string_view>

namespace web {

/// tchar of RFC 9110 §5.6.2: the characters of a token (field names, chunk extension names).
inline bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// The value of a hex digit (either case), or -1 for any other character.
inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace web
