// RESP2, the Redis protocol: an incremental parser of requests (multibulk and inline) with the
// limits that keep a hostile client's cost bounded, and the writers of replies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

struct resp_limits {
  std::uint64_t max_bulk = 512ull * 1024 * 1024;  ///< one argument's bytes
  std::size_t max_args = 1024 * 1024;             ///< arguments of one command
  std::size_t max_inline = 64 * 1024;             ///< an inline command, or a header line
};

/// Parses one command at a time out of a growing buffer. It keeps its place between calls, so
/// a command that arrives in pieces is never parsed twice; the arguments are kept as offsets
/// from the command's first byte, so the buffer may move between calls.
///
/// Thread safety: none; one per connection.
class resp_parser {
 public:
  enum class status : unsigned char { complete, incomplete, error };

  explicit resp_parser(resp_limits limits) noexcept : limits_(limits) {}

  /// Looks at `data`, which starts at the command's first byte (the same one on every call
  /// until a command completes). complete: args() holds it and consumed() says how many bytes
  /// it took; incomplete: call again with more; error: error() says what (close after it).
  status parse(std::string_view data);
  std::size_t consumed() const noexcept { return pos_; }
  const std::string& error() const noexcept { return error_; }
  /// The arguments of the command just completed, as views into the same `data`.
  const std::vector<std::string_view>& args(std::string_view data);
  /// Ready for the next command (its first byte is the start of the next `data`).
  void reset() noexcept;
  /// At least how many bytes `data` must hold before parse() can make progress.
  std::size_t wanted() const noexcept { return wanted_; }

 private:
  status fail(std::string message);
  status parse_inline(std::string_view data);
  // Reads a "\r\n"-terminated line starting at pos_ into `line`; false if it is not all here.
  bool line_at(std::string_view data, std::string_view& line) const noexcept;

  resp_limits limits_;
  std::size_t pos_ = 0;
  std::int64_t expected_ = -1;  // arguments of the multibulk; -1 before its header
  std::int64_t bulk_len_ = -1;  // the argument whose header was read; -1: none
  std::size_t wanted_ = 0;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // (offset, length)
  std::vector<std::string_view> views_;
  std::string error_;
};

/// Reply writers: each appends one RESP2 value to `out`.
namespace reply {
void simple(std::string& out, std::string_view s);
void error(std::string& out, std::string_view s);  ///< s without the leading '-'
void integer(std::string& out, std::int64_t v);
void bulk(std::string& out, std::string_view s);
void null_bulk(std::string& out);
void array(std::string& out, std::size_t n);
}  // namespace reply

}  // namespace kv
