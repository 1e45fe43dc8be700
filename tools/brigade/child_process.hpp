// Running another program (the measured command, brigade_bench) with posix_spawn.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace brigade::cli {

/// A started program, waited for by wait() (or by the destructor, which kills it first).
///
/// Thread safety: one object, one thread.
class child_process {
 public:
  enum class output { inherit, discard, pipe };
  struct options {
    std::vector<std::string> argv;  // argv[0] is looked up in $PATH when it has no '/'
    std::vector<std::string> env;   // "NAME=value" entries replacing or adding to ours
    output out = output::inherit;   // the child's stdout
  };

  /// Starts the program. std::runtime_error naming argv[0] when it cannot be started.
  explicit child_process(const options& o);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// The read end of the child's stdout (output::pipe), else -1.
  int stdout_fd() const noexcept { return out_fd_; }

  /// Waits for the child to end; returns its wait status (as waitpid gives it).
  int wait();

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
};

/// "exited with status 3", "was killed by signal 9 (Killed)".
std::string describe_status(int wait_status);

/// Whether a wait status is a normal exit with status 0.
bool succeeded(int wait_status) noexcept;

/// argv as one shell-like line, for messages: `team_of_chefs --size 64`.
std::string command_line(const std::vector<std::string>& argv);

}  // namespace brigade::cli
