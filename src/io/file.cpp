// Regular files.
#include <brigade/io/file.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <system_error>

namespace brigade {

file::file(event_loop& loop, const std::string& path, mode m) {
  int flags = O_CLOEXEC;
  switch (m) {
    case mode::read:
      flags |= O_RDONLY;
      break;
    case mode::write:
      flags |= O_WRONLY | O_CREAT | O_TRUNC;
      break;
    case mode::read_write:
      flags |= O_RDWR | O_CREAT;
      break;
    case mode::append_to:
      flags |= O_WRONLY | O_CREAT | O_APPEND;
      break;
  }
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) throw std::system_error(errno, std::system_category(), "brigade::file: open " + path);
  loop_ = &loop;
  fd_ = fd;
}

std::uint64_t file::size() const {
  struct stat st {};
  if (::fstat(fd_, &st) < 0) detail::throw_io_error(errno, "brigade::file::size");
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace brigade
