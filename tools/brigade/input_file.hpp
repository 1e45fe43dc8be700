// Reading a file the user named, bounded: a trace given as /dev/zero or an endless pipe must end
// in an error, not in all of memory.
#pragma once

#include <cstdint>
#include <string>

namespace brigade::cli {

/// The default of --max-bytes: 1 GiB, far above any trace brigade writes (BRIGADE_TRACE_EVENTS
/// bounds a recording to 10 MiB of events per thread).
inline constexpr std::uint64_t default_max_bytes = std::uint64_t{1} << 30;

/// The whole content of path, which must be a regular file or a pipe (a FIFO, /dev/stdin fed by
/// a pipe, a shell's process substitution): a device such as /dev/zero or a terminal is refused
/// before anything is read.
///
/// Errors: std::system_error naming path when it cannot be opened or read; std::runtime_error
/// naming path when it is not a regular file or a pipe, or holds more than max_bytes (the
/// message names the limit and --max-bytes). A pipe is read up to max_bytes + 1 and no further.
std::string read_input_file(const std::string& path, std::uint64_t max_bytes);

}  // namespace brigade::cli
