// Static files under a root directory: every file is opened beneath the root's descriptor, so
// no path, link or race leads out of it.
#pragma once

#include "http_message.hpp"
#include "open_beneath.hpp"

#include <brigade/core/task.hpp>
#include <brigade/pool/pool.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace web {

/// The directory files are served from, held open for the server's life. Files are opened
/// relative to this descriptor (open_beneath.hpp): with openat2(RESOLVE_BENEATH) the kernel
/// resolves the path, symbolic links included, and refuses any step that would leave the
/// directory, in the same system call that opens the file; kernels without openat2 get a walk
/// that opens one component at a time with O_NOFOLLOW and reads each link itself. Either way a
/// link swapped between a check and the open (a race a client who can write under the root
/// could win) cannot lead out: there is no separate check. Renaming the root itself changes
/// nothing either: the descriptor stays. link_policy::follow (--follow-symlinks) follows every
/// link, wherever it leads.
///
/// Thread safety: open() may be called from any number of threads at once.
class static_root {
 public:
  /// Opens dir and picks the resolver this kernel allows. std::system_error naming dir when
  /// that fails.
  explicit static_root(const std::filesystem::path& dir, link_policy links = link_policy::beneath);
  ~static_root();
  static_root(const static_root&) = delete;
  static_root& operator=(const static_root&) = delete;

  /// Opens rel (as path_beneath gives it) beneath the root with open(2) flags: the descriptor,
  /// or -1 with errno (EXDEV: a link leads out; ELOOP: a loop or too many links).
  int open(const std::filesystem::path& rel, int flags) const;
  /// How links are treated, for the start-up line ("symbolic links kept beneath it (openat2)").
  std::string describe() const;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  link_policy links_;
  resolver resolver_ = resolver::openat2;
};

/// url_path with its %XX escapes decoded ("/%2e%2E/x" -> "/../x"); nullopt for a malformed
/// escape or an encoded NUL. Pure (fuzz/fuzz_http_request.cpp calls it).
std::optional<std::string> percent_decode(std::string_view s);

/// The relative, normalized path a decoded url path names under the root ("" for the root
/// itself); nullopt when it climbs out of it through "..". Lexical only: links are open_beneath's
/// to refuse (see static_root). Pure.
std::optional<std::filesystem::path> path_beneath(const std::string& decoded);

/// The response to req for url_path (req's path, still percent-encoded, without the query)
/// under root: 200 with the file open for streaming, with ETag, Last-Modified and
/// Accept-Ranges; 304 (no body) when If-None-Match or, without it, If-Modified-Since says the
/// client's copy is current; 206 with Content-Range for one satisfiable byte range; 416 with
/// "Content-Range: bytes */size" for an unsatisfiable one (other Range fields are ignored); 400 for
/// a malformed path; 403 for a path that leads out of the root (through "..", percent-encoded dots
/// or a symbolic link, unless the root follows links), through a loop of links, or that names
/// anything but a readable regular file (a FIFO, a device, a socket); 404 when nothing is there. A
/// directory stands for its index.html. Opening runs on `lane`, a pool of its own, never on the
/// pool that runs computations: a file is never stuck behind them, and opens are non-blocking (a
/// FIFO cannot hold a worker).
brigade::task<response> static_file(const request& req, std::string_view url_path,
                                    const static_root& root, brigade::pool& lane);

}  // namespace web
