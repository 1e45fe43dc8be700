// A small JSON reader for brigade's own trace files: values as a tree, read one at a time so a
// large traceEvents array never has to be held as a whole, errors with line and column.
#pragma once

#include <brigade/trace_tools/trace_file.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brigade::trace::detail {

struct json_member;

/// A parsed JSON value. Numbers keep their literal text too, so times and ids convert exactly.
struct json_value {
  enum class type : std::uint8_t { null, boolean, number, string, array, object };
  type kind = type::null;
  bool boolean = false;
  double number = 0;
  std::string text;  // a string's value, or a number's literal
  std::vector<json_value> items;
  std::vector<json_member> members;  // an object's, in their order

  /// The member named key of an object (the last one if repeated); null if absent or not an
  /// object.
  const json_value* find(std::string_view key) const noexcept;
  bool is_number() const noexcept { return kind == type::number; }
  bool is_string() const noexcept { return kind == type::string; }
  bool is_object() const noexcept { return kind == type::object; }
};

/// One member of an object. A type of its own, not std::pair: a pair of an incomplete
/// json_value is ill-formed, and clang rejects it.
struct json_member {
  std::string key;
  json_value value;
};

/// A cursor over JSON text. Every failure throws trace_error "<source>: invalid JSON at line L,
/// column C (near "..."): <what>"; nesting deeper than max_depth is refused instead of
/// overflowing the stack.
class json_reader {
 public:
  static constexpr int max_depth = 256;

  json_reader(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  /// Reads one complete value at the cursor.
  json_value value();
  /// Reads a string at the cursor.
  std::string string();
  /// Skips white space; then, if the next character is c, consumes it and returns true.
  bool consume(char c);
  /// Skips white space and requires c next (what names the construct, for the message).
  void expect(char c, const char* what);
  /// Skips white space and returns the next character without consuming it ('\0' at the end).
  char peek();
  bool at_end();
  std::size_t offset() const noexcept { return pos_; }

  /// Throws trace_error for what went wrong at byte offset `at`.
  [[noreturn]] void fail_at(std::size_t at, const std::string& what) const;
  [[noreturn]] void fail(const std::string& what) const { fail_at(pos_, what); }

 private:
  json_value value_at(int depth);
  void number_into(json_value& v);
  void literal(std::string_view word);
  unsigned hex4();
  void skip_ws() noexcept;

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
};

/// "line 3, column 14" for a byte offset into text; with context, the text there follows
/// ("line 3, column 14 (near \"x\": 1}\")").
std::string describe_position(std::string_view text, std::size_t offset, bool context);

/// A number's literal as an exact non-negative integer; false if it is not one or overflows.
bool to_uint64(const json_value& v, std::uint64_t& out) noexcept;
/// A number's literal as an exact signed integer; false if it is not one or overflows.
bool to_int64(const json_value& v, std::int64_t& out) noexcept;
/// A number of microseconds (brigade writes three decimals) as nanoseconds, exactly when the
/// literal has no exponent; false if it is out of range.
bool micros_to_ns(const json_value& v, std::int64_t& out) noexcept;

}  // namespace brigade::trace::detail
