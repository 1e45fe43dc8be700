// open_beneath: openat2(RESOLVE_BENEATH) where the kernel has it; elsewhere a walk that opens
// one component at a time, O_NOFOLLOW, beneath the directory before it, and reads each link.
#include "open_beneath.hpp"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace web {
namespace {

namespace fs = std::filesystem;

constexpr int max_links = 40;  // the kernel's own limit for one lookup (then ELOOP)

long openat2(int dir_fd, const char* name, int flags, unsigned long long resolve) {
  open_how how{};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.resolve = resolve;
  for (;;) {
    const long fd = ::syscall(SYS_openat2, dir_fd, name, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return fd;
    // EAGAIN from RESOLVE_BENEATH: a rename raced with the lookup; the kernel asks to retry.
  }
}

// The directories a walk went down through, innermost last, as O_PATH descriptors it owns.
// The caller's directory is the bottom and stays open.
class dir_stack {
 public:
  explicit dir_stack(int base) : base_(base) {}
  ~dir_stack() {
    for (const int fd : owned_) ::close(fd);
  }
  dir_stack(const dir_stack&) = delete;
  dir_stack& operator=(const dir_stack&) = delete;

  int top() const noexcept { return owned_.empty() ? base_ : owned_.back(); }
  void push(int fd) {
    try {
      owned_.push_back(fd);
    } catch (...) {
      ::close(fd);
      throw;
    }
  }
  // Back to the parent; false at the bottom (a ".." that would leave the directory).
  bool pop() noexcept {
    if (owned_.empty()) return false;
    ::close(owned_.back());
    owned_.pop_back();
    return true;
  }

 private:
  int base_;
  std::vector<int> owned_;
};

// What the link `fd` (opened O_PATH | O_NOFOLLOW) points to; nullopt with errno set.
std::optional<std::string> link_target(int fd) {
  std::string buf(256, '\0');
  for (;;) {
    const ssize_t n = ::readlinkat(fd, "", buf.data(), buf.size());
    if (n < 0) return std::nullopt;
    if (static_cast<std::size_t>(n) < buf.size()) {
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
    if (buf.size() >= PATH_MAX) {
      errno = ENAMETOOLONG;
      return std::nullopt;
    }
    buf.resize(buf.size() * 2);  // it may have been cut short: read it again, larger
  }
}

int fail(int e) {
  errno = e;
  return -1;
}

// What RESOLVE_BENEATH does, in user space. Each name is opened O_PATH | O_NOFOLLOW beneath
// the directory reached so far, so a link is never followed by the kernel: its text is read
// and walked here, ".." included, which goes back one directory on the stack (and at the
// bottom fails with EXDEV) rather than being looked up.
int walk(int dir_fd, const fs::path& rel, int flags) {
  std::deque<std::string> todo;
  for (const fs::path& part : rel) todo.push_back(part.string());
  dir_stack dirs(dir_fd);
  int links = 0;
  while (!todo.empty()) {
    std::string name = std::move(todo.front());
    todo.pop_front();
    if (name.empty() || name == "." || name == "..") {
      if (name == ".." && !dirs.pop()) return fail(EXDEV);
      continue;
    }
    const int fd = ::openat(dirs.top(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int e = errno;
      ::close(fd);
      return fail(e);
    }
    if (S_ISLNK(st.st_mode)) {
      const std::optional<std::string> target = link_target(fd);
      const int e = errno;
      ::close(fd);
      if (!target) return fail(e);
      if (++links > max_links) return fail(ELOOP);
      if (target->empty()) return fail(ENOENT);
      // Refused before its target is looked at, as RESOLVE_BENEATH does: no answer tells
      // whether something exists outside.
      if (target->front() == '/') return fail(EXDEV);
      std::vector<std::string> parts;
      for (const fs::path& part : fs::path(*target)) parts.push_back(part.string());
      todo.insert(todo.begin(), parts.begin(), parts.end());
      continue;
    }
    if (!todo.empty()) {
      if (!S_ISDIR(st.st_mode)) {
        ::close(fd);
        return fail(ENOTDIR);
      }
      dirs.push(fd);
      continue;
    }
    ::close(fd);
    // The last name was no link a moment ago. Opened O_NOFOLLOW, a link swapped in since then
    // is not followed by the kernel (ELOOP): it goes round again and is walked like any link.
    const int file = ::openat(dirs.top(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
    if (file >= 0 || errno != ELOOP) return file;
    if (++links > max_links) return fail(ELOOP);
    todo.push_front(std::move(name));
  }
  // The path ended in ".", ".." or a link to a directory's "." (or was empty): the directory
  // the walk stands in.
  return ::openat(dirs.top(), ".", flags | O_CLOEXEC);
}

}  // namespace

resolver probe_resolver(int dir_fd) {
  const long fd = openat2(dir_fd, ".", O_PATH, RESOLVE_BENEATH);
  if (fd >= 0) {
    ::close(static_cast<int>(fd));
    return resolver::openat2;
  }
  if (errno == ENOSYS || errno == EPERM) return resolver::walk;
  throw std::system_error(errno, std::generic_category(), "openat2");
}

int open_beneath(int dir_fd, const fs::path& rel, int flags, resolver how, link_policy links) {
  const std::string name = rel.empty() ? std::string(".") : rel.string();
  if (how == resolver::openat2) {
    // Magic links (/proc/PID/fd/N and the like) are refused even with link_policy::follow:
    // they name open descriptors, not files under any root.
    const unsigned long long beneath = links == link_policy::beneath ? RESOLVE_BENEATH : 0;
    return static_cast<int>(openat2(dir_fd, name.c_str(), flags, beneath | RESOLVE_NO_MAGICLINKS));
  }
  if (links == link_policy::follow) return ::openat(dir_fd, name.c_str(), flags | O_CLOEXEC);
  return walk(dir_fd, rel, flags);
}

}  // namespace web
