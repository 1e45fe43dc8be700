// Fuzzes kv_server's RESP request parser (examples/kv_server/resp.hpp) as a connection drives
// it: the input after the first byte is one client's byte stream, delivered in pieces whose
// sizes the first byte chooses, with commands parsed back to back (pipelining).
// Checks: no crash, leak or UB; a complete command's consumed() lies within what was given and
// its arguments are views into those bytes (for a multibulk, as many as its header says; for
// an inline command, words without blanks); an incomplete parse of some bytes asks for more
// than it has (wanted() > size, or the server would wait forever); an error comes with its
// text; and a command parsed from pieces is the same as one parsed from all its bytes at once.
#include "fuzz_check.hpp"
#include "resp.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

// Small limits, so that the limit checks are reached by small inputs.
constexpr kv::resp_limits limits{.max_bulk = 4096, .max_args = 64, .max_inline = 256};

// An invariant; when it fails, the line says which (libFuzzer then saves the input).
// The command a single parse of all of `data` yields, or nothing when it is not complete.
struct one_shot {
  bool complete = false;
  std::size_t consumed = 0;
  std::vector<std::string_view> args;
};

one_shot parse_at_once(std::string_view data) {
  kv::resp_parser p(limits);
  one_shot r;
  if (p.parse(data) != kv::resp_parser::status::complete) return r;
  r.complete = true;
  r.consumed = p.consumed();
  r.args = p.args(data);
  return r;
}

void check_command(std::string_view data, std::size_t consumed,
                   const std::vector<std::string_view>& args) {
  fuzz_check(consumed > 0 && consumed <= data.size());
  for (std::string_view a : args)
    fuzz_check(a.data() >= data.data() && a.data() + a.size() <= data.data() + consumed);
  if (data[0] == '*') {
    const std::string_view header = data.substr(1, data.find('\r') - 1);
    std::int64_t n = 0;
    std::from_chars(header.data(), header.data() + header.size(), n);
    fuzz_check(static_cast<std::int64_t>(args.size()) == (n < 0 ? 0 : n));
  } else {
    for (std::string_view a : args)
      fuzz_check(!a.empty() && a.find_first_of(" \t\r\n") == std::string_view::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  unsigned seed = bytes[0];
  const std::string_view input(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  // The next piece's size, 1 to 16 bytes (a tiny LCG seeded by the first byte).
  auto next_piece = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return std::size_t{1} + (seed >> 16) % 16;
  };

  kv::resp_parser parser(limits);
  std::size_t start = 0;  // the current command's first byte
  std::size_t avail = 0;  // bytes of it received so far
  for (;;) {
    const std::string_view data = input.substr(start, avail);
    // As the server does (kv_server/client.cpp): parse only when bytes have come.
    if (data.empty()) {
      if (start == input.size()) return 0;
      avail = std::min(next_piece(), input.size() - start);
      continue;
    }
    const auto status = parser.parse(data);
    if (status == kv::resp_parser::status::error) {
      fuzz_check(!parser.error().empty());
      return 0;
    }
    if (status == kv::resp_parser::status::complete) {
      const std::vector<std::string_view> args = parser.args(data);
      const std::size_t consumed = parser.consumed();
      check_command(data, consumed, args);
      const one_shot whole = parse_at_once(input.substr(start));
      fuzz_check(whole.complete && whole.consumed == consumed && whole.args == args);
      start += consumed;
      avail -= consumed;
      parser.reset();
      continue;
    }
    fuzz_check(parser.wanted() > data.size());
    if (start + avail == input.size()) return 0;  // the client sent nothing more
    avail = std::min(avail + next_piece(), input.size() - start);
  }
}
