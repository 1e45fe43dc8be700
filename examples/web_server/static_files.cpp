// Static files: percent-decoding, containment in the root (checked on the lexical path, then
// again on the real path after symbolic links), content types, and opening on the pool.
#include "static_files.hpp"

#include <brigade/io/event_loop.hpp>
#include <brigade/io/offload.hpp>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

namespace web {
namespace {

namespace fs = std::filesystem;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "/%2e%2E/x" -> "/../x"; nullopt for a malformed escape or an encoded NUL.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (s.size() - i < 3) return std::nullopt;
    const int hi = hex_digit(s[i + 1]);
    const int lo = hex_digit(s[i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// Whether p is root or below it, by whole components ("/srv/www2" is not under "/srv/www").
bool inside(const fs::path& p, const fs::path& root) {
  auto at = p.begin();
  for (const fs::path& part : root) {
    if (at == p.end() || *at != part) return false;
    ++at;
  }
  return true;
}

const char* content_type(const fs::path& p) {
  static constexpr std::pair<std::string_view, const char*> types[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".css", "text/css"},
      {".js", "text/javascript"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},
      {".pdf", "application/pdf"}};
  const std::string ext = p.extension().string();
  for (const auto& [suffix, type] : types)
    if (ext == suffix) return type;
  return "application/octet-stream";
}

// What the pool hands back to the loop.
struct opened {
  int status = 200;
  std::string why;
  std::optional<brigade::file> file;
  std::uint64_t size = 0;
  fs::path real;
};

opened failure(int status) {
  opened o;
  o.status = status;
  o.why = status == 404 ? "not found\n" : status == 403 ? "forbidden\n" : "error\n";
  return o;
}

opened failure(const std::error_code& ec) {
  const int e = ec.value();
  if (e == ENOENT || e == ENOTDIR || e == ENAMETOOLONG) return failure(404);
  if (e == EACCES || e == EPERM || e == ELOOP) return failure(403);
  return failure(500);
}

// On a pool worker: resolve, check, open. Only regular files are opened (a FIFO would block).
opened open_under(const std::string& decoded, const fs::path& root, brigade::event_loop& loop) {
  const fs::path wanted = (root / fs::path(decoded).relative_path()).lexically_normal();
  if (!inside(wanted, root)) return failure(403);  // ".." climbing out: refused without a look
  std::error_code ec;
  fs::path real = fs::canonical(wanted, ec);  // follows every symbolic link
  if (ec) return failure(ec);
  if (fs::is_directory(real, ec)) real = fs::canonical(real / "index.html", ec);
  if (ec) return failure(ec);
  if (!inside(real, root)) return failure(403);  // a link that leads out of the root
  if (!fs::is_regular_file(real, ec)) return ec ? failure(ec) : failure(403);
  try {
    brigade::file f(loop, real.string(), brigade::file::mode::read);
    const std::uint64_t size = f.size();
    return opened{200, {}, std::move(f), size, std::move(real)};
  } catch (const std::system_error& e) {
    return failure(e.code());
  }
}

}  // namespace

brigade::task<response> static_file(std::string_view url_path, const fs::path& root) {
  const std::optional<std::string> decoded = percent_decode(url_path);
  if (!decoded) co_return text_response(400, "malformed percent-encoding in the path\n");
  brigade::event_loop& loop = *brigade::event_loop::current();
  opened o = co_await brigade::offload([&] { return open_under(*decoded, root, loop); });
  if (o.status != 200) co_return text_response(o.status, std::move(o.why));
  response r;
  r.content_type = content_type(o.real);
  r.file = std::move(o.file);
  r.file_size = o.size;
  co_return r;
}

}  // namespace web
