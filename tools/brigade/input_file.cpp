// Bounded reading of user-named input files: regular files and pipes, at most a given size.
#include "input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace brigade::cli {
namespace {

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// "1073741824 bytes (1 GiB)": the exact limit, and a readable one when it is a round size.
std::string describe_limit(std::uint64_t max_bytes) {
  std::string text = std::to_string(max_bytes) + " bytes";
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  int unit = -1;
  std::uint64_t v = max_bytes;
  while (v >= 1024 && v % 1024 == 0 && unit < 3) {
    v /= 1024;
    ++unit;
  }
  if (unit >= 0) text += " (" + std::to_string(v) + " " + units[unit] + ")";
  return text;
}

[[noreturn]] void too_large(const std::string& path, std::uint64_t max_bytes) {
  throw std::runtime_error(path + ": larger than the limit of " + describe_limit(max_bytes) +
                           " (raise it with --max-bytes)");
}

}  // namespace

std::string read_input_file(const std::string& path, std::uint64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), path);
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw std::system_error(errno, std::generic_category(), path);
  // A device can be endless (/dev/zero, /dev/urandom) or wait for a person (a terminal);
  // a pipe is what `brigade trace /dev/stdin < run.json` and `<(zcat run.json.gz)` give.
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
    throw std::runtime_error(path + ": " + kind_of(st.st_mode) +
                             ", not a trace file (give a regular file or a pipe)");
  // A regular file's size is known: refuse a huge one before reading any of it.
  if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > max_bytes)
    too_large(path, max_bytes);

  std::string text;
  if (S_ISREG(st.st_mode)) text.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    // One byte past the limit tells "exactly max_bytes" from "more" (a file may grow, a pipe
    // has no size).
    const std::uint64_t room = std::min<std::uint64_t>(max_bytes - text.size(), sizeof buf - 1) + 1;
    const ssize_t n = ::read(fd, buf, static_cast<std::size_t>(room));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), path);
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_bytes) too_large(path, max_bytes);
  }
  return text;
}

}  // namespace brigade::cli
