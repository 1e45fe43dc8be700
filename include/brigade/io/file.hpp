// Files on the event loop: positional reads and writes that never block the loop (io_uring,
// or a pool thread under epoll, which cannot wait for regular files).
#pragma once

#include <brigade/io/detail/socket_base.hpp>
#include <brigade/io/event_loop.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace brigade {

/// An open regular file. Move-only; closes on destruction.
///
/// Thread safety: any number of read_at/write_at in flight at once.
/// Errors: std::system_error naming the path and the operation.
class file : public detail::fd_owner {
 public:
  enum class mode {
    read,        ///< existing file, read only
    write,       ///< create or truncate, write only
    read_write,  ///< create if missing, read and write
    append_to,   ///< create if missing, write at the end
  };

  file() noexcept = default;
  /// Opens path (a quick system call on the calling thread).
  file(event_loop& loop, const std::string& path, mode m);
  /// Adopts fd, a descriptor the caller opened (with openat2 beneath a directory, say); the
  /// file closes it.
  file(event_loop& loop, int fd) noexcept : fd_owner(loop, fd) {}

  /// Reads up to buf.size() bytes at offset; fewer at the end of the file, 0 past it.
  detail::transfer_awaiter read_at(std::span<std::byte> buf, std::uint64_t offset) noexcept {
    return {*loop_,     detail::io_kind::pread,   fd_,   buf.data(),
            buf.size(), "brigade::file::read_at", offset};
  }
  /// Writes up to data.size() bytes at offset; returns how many.
  detail::transfer_awaiter write_at(std::span<const std::byte> data,
                                    std::uint64_t offset) noexcept {
    return {*loop_,      detail::io_kind::pwrite,   fd_,   const_cast<std::byte*>(data.data()),
            data.size(), "brigade::file::write_at", offset};
  }

  /// The file's current size in bytes.
  std::uint64_t size() const;
};

}  // namespace brigade
