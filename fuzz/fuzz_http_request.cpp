// Fuzzes the web_server's pure request-reading pieces on the same bytes (the header parsing
// itself is http_parser's, driven from callbacks inside the connection coroutine, and is not
// reached here):
//  - body_reader (examples/web_server/http_body.hpp): the bytes after the first as a body,
//    chunked or of a Content-Length (the first byte chooses which, the length, and the sizes of
//    the pieces it arrives in). Checks: feed() never takes more than it is given; it takes a
//    whole piece while the body goes on; a Content-Length body ends exactly at its length; and
//    the verdict and the body's length are the same whether the bytes come at once or in pieces.
//  - percent_decode and path_beneath (static_files.hpp): the same bytes as a url path. Checks:
//    a decoded path is never longer than the encoded one and holds no NUL; the path beneath the
//    root is relative, normalized and never climbs out ("..").
#include "fuzz_check.hpp"
#include "http_body.hpp"
#include "static_files.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

// An invariant; when it fails, the line says which (libFuzzer then saves the input).
web::body_reader make_reader(unsigned choice) {
  if (choice & 1) return web::body_reader::chunked(/*limit=*/1000, /*line_limit=*/64);
  return web::body_reader::of_length(choice >> 1);  // 0 to 127 bytes
}

struct verdict {
  web::body_reader::status status;
  std::size_t length;  // bytes the body took
};

verdict read_body(unsigned choice, std::string_view data, unsigned piece_seed) {
  web::body_reader r = make_reader(choice);
  std::size_t taken = 0;
  while (taken < data.size() && r.state() == web::body_reader::status::more) {
    std::size_t piece = data.size() - taken;
    if (piece_seed != 0) {
      piece_seed = piece_seed * 1103515245u + 12345u;
      piece = std::min(piece, std::size_t{1} + (piece_seed >> 16) % 8);
    }
    const std::size_t n = r.feed(data.substr(taken, piece));
    fuzz_check(n <= piece);
    if (r.state() == web::body_reader::status::more) fuzz_check(n == piece);
    taken += n;
  }
  return {r.state(), taken};
}

void check_body(unsigned choice, std::string_view data) {
  const verdict whole = read_body(choice, data, 0);
  const verdict pieces = read_body(choice, data, choice | 1);
  fuzz_check(whole.status == pieces.status && whole.length == pieces.length);
  if (!(choice & 1)) {
    const std::size_t length = choice >> 1;
    fuzz_check((whole.status == web::body_reader::status::done) == (data.size() >= length));
    if (whole.status == web::body_reader::status::done) fuzz_check(whole.length == length);
  }
}

void check_path(std::string_view url_path) {
  const auto decoded = web::percent_decode(url_path);
  if (!decoded) return;
  fuzz_check(decoded->size() <= url_path.size());
  fuzz_check(decoded->find('\0') == std::string::npos ||
             url_path.find('\0') != std::string_view::npos);
  const auto rel = web::path_beneath(*decoded);
  if (!rel) return;
  fuzz_check(rel->is_relative());
  fuzz_check(*rel == rel->lexically_normal() || rel->empty());
  for (const auto& part : *rel) fuzz_check(part != "..");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  check_body(bytes[0], rest);
  check_path(rest);
  return 0;
}
