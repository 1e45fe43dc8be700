// Static files: percent-decoding, containment in the root (checked on the lexical path, then
// enforced by the kernel while opening beneath the root's descriptor), content types, and
// opening on the file lane.
#include "static_files.hpp"

#include "http_chars.hpp"

#include <brigade/io/event_loop.hpp>
#include <brigade/io/offload.hpp>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
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
  const std::string ext = p.extension().string();
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
  // EXDEV: the path (a link in it) leads out of the root; ELOOP: too many links.
  if (e == EXDEV || e == ELOOP || e == EACCES || e == EPERM || e == ENXIO || e == EAGAIN)
    return failure(403);
  return failure(500);
}

// Opens `rel` (relative, normalized) beneath the root: read only, non-blocking (a FIFO opens
// without waiting for a writer), no controlling terminal, no /proc-style magic links.
int open_beneath(int root_fd, const fs::path& rel) {
  open_how how{};
  how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const std::string name = rel.empty() ? std::string(".") : rel.string();
  for (;;) {
    const long fd = ::syscall(SYS_openat2, root_fd, name.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return static_cast<int>(fd);
    // EAGAIN from RESOLVE_BENEATH: a rename raced with the lookup; the kernel asks to retry.
  }
}

// On the file lane: resolve, open beneath the root, and check what was opened.
opened open_under(const std::string& decoded, const static_root& root) {
  const std::optional<fs::path> beneath = path_beneath(decoded);
  if (!beneath) return failure(403);
  fs::path rel = *beneath;
  int fd = open_beneath(root.fd(), rel);
  if (fd < 0) return failure_from_errno(errno);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    rel /= "index.html";
    fd = open_beneath(root.fd(), rel);
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
  o.name = std::move(rel);
  return o;
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

static_root::static_root(const fs::path& dir) : path_(dir) {
  fd_ = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "--root " + dir.string());
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH;
  const long probe = ::syscall(SYS_openat2, fd_, ".", &how, sizeof how);
  if (probe < 0) {
    const int e = errno;
    ::close(fd_);
    throw std::system_error(e, std::generic_category(),
                            "--root needs openat2 (Linux 5.6 or later) to open files safely "
                            "beneath " +
                                dir.string());
  }
  ::close(static_cast<int>(probe));
}

static_root::~static_root() {
  ::close(fd_);
}

brigade::task<response> static_file(std::string_view url_path, const static_root& root,
                                    brigade::pool& lane) {
  const std::optional<std::string> decoded = percent_decode(url_path);
  if (!decoded) co_return text_response(400, "malformed percent-encoding in the path\n");
  brigade::event_loop& loop = *brigade::event_loop::current();
  opened o = co_await brigade::offload(lane, [&] { return open_under(*decoded, root); });
  if (o.status != 200) co_return text_response(o.status, std::move(o.why));
  response r;
  r.content_type = content_type(o.name);
  r.file.emplace(loop, o.fd);
  r.file_size = o.size;
  co_return r;
}

}  // namespace web
