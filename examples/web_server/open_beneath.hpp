// Opening a path beneath a directory descriptor without a symbolic link leading out of it:
// openat2(RESOLVE_BENEATH) where the kernel has it, a walk one component at a time elsewhere.
#pragma once

#include <filesystem>

namespace web {

/// How open_beneath resolves a path.
enum class resolver {
  openat2,  ///< the kernel resolves and opens in one call (Linux 5.6 and later)
  walk,     ///< one component at a time, each opened O_NOFOLLOW beneath the one before
};

/// What open_beneath does with symbolic links.
enum class link_policy {
  beneath,  ///< follow a link only while it stays beneath the directory (a way out: EXDEV)
  follow,   ///< follow every link, wherever it leads (web_server --follow-symlinks)
};

/// Which resolver this kernel supports for dir_fd: openat2, or walk when the system call is
/// missing (ENOSYS; or EPERM, which container seccomp profiles older than openat2 return).
/// std::system_error for any other failure of the probe.
resolver probe_resolver(int dir_fd);

/// Opens `rel` beneath `dir_fd` with open(2) `flags`. `rel` is relative and lexically normal,
/// with no leading ".." (static_files' path_beneath makes it so); empty stands for dir_fd
/// itself. Under link_policy::beneath no step leaves the directory: a link to an absolute path,
/// or one whose ".." climbs above it, fails with EXDEV before its target is looked at (so the
/// error says nothing about the target). More than 40 links: ELOOP. The descriptor opened is
/// the file that was checked: there is no check-then-open window. Returns the descriptor, or
/// -1 with errno set.
///
/// The walk holds a descriptor per directory it went through and takes ".." by going back
/// one, never by looking ".." up; a directory renamed out of the tree while a request walks
/// through it is the one case where openat2 (which checks for it) is stronger.
int open_beneath(int dir_fd, const std::filesystem::path& rel, int flags, resolver how,
                 link_policy links);

}  // namespace web
