// Static files: percent-decoding, containment in the root (checked on the lexical path, then
// enforced while opening beneath the root's descriptor: open_beneath.cpp), content types, opening
// on the file lane, validators (ETag, Last-Modified), conditional requests and byte ranges.
#include "static_files.hpp"

#include "http_chars.hpp"

#include <brigade/io/event_loop.hpp>
#include <brigade/io/offload.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

namespace web {
namespace {

namespace fs = std::filesystem;

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
  std::string ext = p.extension().string();
  for (char& c : ext)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  for (const auto& [suffix, type] : types)
    if (ext == suffix) return type;
  return "application/octet-stream";
}

// What the file lane hands back to the loop.
struct opened {
  int status = 200;
  std::string why;
  int fd = -1;  // owned by the receiver
  std::uint64_t size = 0;
  timespec mtime{};
  fs::path name;  // the file's path under the root, as asked for (index.html for a directory)
};

opened failure(int status) {
  opened o;
  o.status = status;
  o.why = status == 404 ? "not found\n" : status == 403 ? "forbidden\n" : "error\n";
  return o;
}

opened failure_from_errno(int e) {
  if (e == ENOENT || e == ENOTDIR || e == ENAMETOOLONG) return failure(404);
  // EXDEV: a link in the path leads out of the root (refused before its target is looked at,
  // so the answer does not say whether that exists); ELOOP: a loop, or too many links.
  if (e == EXDEV || e == ELOOP || e == EACCES || e == EPERM || e == ENXIO || e == EAGAIN)
    return failure(403);
  return failure(500);
}

// Read only, non-blocking (a FIFO opens without waiting for a writer), no controlling terminal.
constexpr int open_flags = O_RDONLY | O_NONBLOCK | O_NOCTTY;

// On the file lane: resolve, open beneath the root, and check what was opened.
opened open_under(const std::string& decoded, const static_root& root) {
  const std::optional<fs::path> beneath = path_beneath(decoded);
  if (!beneath) return failure(403);
  fs::path rel = *beneath;
  int fd = root.open(rel, open_flags);
  if (fd < 0) return failure_from_errno(errno);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    rel /= "index.html";
    fd = root.open(rel, open_flags);
    if (fd < 0) return failure_from_errno(errno);
  }
  // What was opened decides, not what the path looked like a moment before.
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return failure(403);
  }
  opened o;
  o.fd = fd;
  o.size = static_cast<std::uint64_t>(st.st_size);
  o.mtime = st.st_mtim;
  o.name = std::move(rel);
  return o;
}

// The validators of a file: a strong entity tag and the modification time (whole seconds).
struct validators {
  std::string etag;
  std::time_t modified;
};

// "\"<size>-<mtime in ns>\"" in hex: strong, as nginx's and Apache's are. It changes whenever
// the size or the modification time does; a rewrite of the same length within the file
// system's timestamp granularity would keep it (the price of not hashing every file).
std::string entity_tag(std::uint64_t size, timespec mtime) {
  const auto ns = static_cast<std::uint64_t>(mtime.tv_sec) * 1'000'000'000u +
                  static_cast<std::uint64_t>(mtime.tv_nsec);
  char buf[48];
  const int n = std::snprintf(buf, sizeof buf, "\"%" PRIx64 "-%" PRIx64 "\"", size, ns);
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// If-None-Match (RFC 9110 §13.1.2): "*", or a list of entity tags compared weakly (W/ aside).
bool none_match_fails(std::string_view list, std::string_view etag) {
  if (trim_ows(list) == "*") return true;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view tag = trim_ows(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

// An HTTP-date in any of the three forms RFC 9110 §5.6.7 says a recipient must accept
// (IMF-fixdate, RFC 850, asctime); nullopt for anything else.
std::optional<std::time_t> parse_http_date(const std::string& s) {
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = ::strptime(s.c_str(), format, &tm);
    if (end != nullptr && *end == '\0') return ::timegm(&tm);
  }
  return std::nullopt;
}

// Whether the request's conditions make this a 304 (RFC 9110 §13.2.2: If-None-Match when
// present, If-Modified-Since only without it). Only GET and HEAD reach here.
bool not_modified(const request& req, const validators& v) {
  if (!req.if_none_match.empty()) return none_match_fails(req.if_none_match, v.etag);
  if (req.if_modified_since.empty()) return false;
  const std::optional<std::time_t> since = parse_http_date(req.if_modified_since);
  return since && v.modified <= *since;
}

// What a Range field asks for, once checked against the file.
struct byte_range {
  bool partial = false;        // send [first, last] with 206
  bool unsatisfiable = false;  // send 416
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

// Digits as a number, saturating (a huge last-byte-pos means "to the end"); nullopt if not
// all digits or empty.
std::optional<std::uint64_t> digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
  }
  return v;
}

// RFC 9110 §14: one range of bytes ("a-b", "a-", "-n"). A malformed field, another unit or
// several ranges are ignored (the whole file, 200), as §14.2 allows; so is a Range whose
// If-Range (an entity tag compared strongly, or the exact Last-Modified date) does not match.
byte_range requested_range(const request& req, const validators& v, std::uint64_t size) {
  byte_range r;
  std::string_view spec = trim_ows(req.range);
  if (spec.size() < 6) return r;
  for (std::size_t i = 0; i < 6; ++i)
    if ((spec[i] >= 'A' && spec[i] <= 'Z' ? spec[i] | 0x20 : spec[i]) != "bytes="[i]) return r;
  spec = trim_ows(spec.substr(6));
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) return r;
  if (!req.if_range.empty()) {
    const std::string_view ir = trim_ows(req.if_range);
    const bool match = ir.starts_with('"') ? ir == v.etag
                       : ir.starts_with("W/")
                           ? false
                           : parse_http_date(std::string(ir)) == std::optional(v.modified);
    if (!match) return r;
  }
  const std::optional<std::uint64_t> a = digits(spec.substr(0, dash));
  const std::optional<std::uint64_t> b = digits(spec.substr(dash + 1));
  if (!a) {  // "-n": the last n bytes
    if (!b || dash != 0) return r;
    if (*b == 0 || size == 0) {
      r.unsatisfiable = true;
      return r;
    }
    r.partial = true;
    r.first = *b >= size ? 0 : size - *b;
    r.last = size - 1;
    return r;
  }
  if (dash + 1 < spec.size() && (!b || *b < *a)) return r;  // "a-b" with b < a: malformed
  if (*a >= size) {
    r.unsatisfiable = true;
    return r;
  }
  r.partial = true;
  r.first = *a;
  r.last = b ? std::min(*b, size - 1) : size - 1;
  return r;
}

}  // namespace

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
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::optional<fs::path> path_beneath(const std::string& decoded) {
  fs::path rel = fs::path(decoded).relative_path().lexically_normal();
  if (rel == ".") rel.clear();
  // ".." climbing out is refused without a look; the kernel would refuse it too (EXDEV).
  if (!rel.empty() && *rel.begin() == "..") return std::nullopt;
  return rel;
}

static_root::static_root(const fs::path& dir, link_policy links) : path_(dir), links_(links) {
  fd_ = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "--root " + dir.string());
  try {
    resolver_ = probe_resolver(fd_);
  } catch (const std::system_error& e) {
    ::close(fd_);
    throw std::system_error(e.code(), "--root " + dir.string());
  }
}

int static_root::open(const fs::path& rel, int flags) const {
  return open_beneath(fd_, rel, flags, resolver_, links_);
}

std::string static_root::describe() const {
  if (links_ == link_policy::follow) return "symbolic links followed";
  return resolver_ == resolver::openat2 ? "symbolic links kept beneath it (openat2)"
                                        : "symbolic links kept beneath it (component walk)";
}

static_root::~static_root() {
  ::close(fd_);
}

brigade::task<response> static_file(const request& req, std::string_view url_path,
                                    const static_root& root, brigade::pool& lane) {
  const std::optional<std::string> decoded = percent_decode(url_path);
  if (!decoded) co_return text_response(400, "malformed percent-encoding in the path\n");
  brigade::event_loop& loop = *brigade::event_loop::current();
  opened o = co_await brigade::offload(lane, [&] { return open_under(*decoded, root); });
  if (o.status != 200) co_return text_response(o.status, std::move(o.why));
  response r;
  r.file.emplace(loop, o.fd);  // owns the descriptor from here on, whatever is sent
  const validators v{entity_tag(o.size, o.mtime), o.mtime.tv_sec};
  r.headers = "ETag: " + v.etag + "\r\nLast-Modified: " + http_date(v.modified) + "\r\n";
  if (not_modified(req, v)) {
    r.status = 304;
    r.file.reset();
    co_return r;
  }
  r.content_type = content_type(o.name);
  r.headers += "Accept-Ranges: bytes\r\n";
  const byte_range range = requested_range(req, v, o.size);
  if (range.unsatisfiable) {
    r.status = 416;
    r.headers += "Content-Range: bytes */" + std::to_string(o.size) + "\r\n";
    r.file.reset();
    co_return r;
  }
  if (range.partial) {
    r.status = 206;
    r.headers += "Content-Range: bytes " + std::to_string(range.first) + "-" +
                 std::to_string(range.last) + "/" + std::to_string(o.size) + "\r\n";
    r.file_offset = range.first;
    r.file_size = range.last - range.first + 1;
    co_return r;
  }
  r.file_size = o.size;
  co_return r;
}

}  // namespace web
