// Starting a program with posix_spawn: the one place the command line (child_process), its tests
// and the web_server tests build an argv, an edited environment and the child's descriptors.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace brigade::cli {

struct spawn_options {
  std::vector<std::string> argv{};  // argv[0] is looked up in $PATH when it has no '/'
  std::vector<std::string> env{};   // "NAME=value" entries replacing or adding to ours
  std::vector<int> dev_null{};      // descriptors the child finds /dev/null on (0 for stdin, ...)
  // {ours, the child's}: the child finds our descriptor `first` as its `second` (after dev_null).
  std::vector<std::pair<int, int>> dup2{};
  const sigset_t* signal_mask = nullptr;     // the child's signal mask; ours when null
  const sigset_t* signal_default = nullptr;  // signals the child starts with default action
};

/// Starts the program and returns its process id; the caller waits for it.
///
/// Errors: std::runtime_error naming argv[0] when it cannot be started (std::invalid_argument for
/// an empty argv).
///
/// Thread safety: may be called from several threads at once.
pid_t spawn(const spawn_options& o);

}  // namespace brigade::cli
