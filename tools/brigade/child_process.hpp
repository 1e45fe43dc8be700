// Running another program (the measured command, brigade_bench) with posix_spawn.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace brigade::cli {

/// While alive, SIGINT and SIGTERM sent to brigade wait to be read here instead of ending it, so
/// that child_process::wait_for can pass them on to the child and reap it: killing brigade alone
/// would leave the child running with nobody to wait for it. (One that brigade was started with
/// ignored stays ignored.) SIGCHLD is held too, so a wait can sleep until the child ends. Create it
/// before starting the child: a signal that comes between the start and the wait is then held, not
/// lost. On destruction the signal mask is restored, and a signal still held then acts as usual.
///
/// Thread safety: one object, one thread; the process must have no other thread (one would take
/// the signals instead).
class held_signals {
 public:
  held_signals();
  ~held_signals();
  held_signals(const held_signals&) = delete;
  held_signals& operator=(const held_signals&) = delete;

  /// Waits up to timeout for a held signal; returns its number, or 0 when none came.
  int next(std::chrono::milliseconds timeout);

  /// The signal mask from before they were held: what a child should start with.
  const sigset_t& old_mask() const noexcept { return old_mask_; }

 private:
  sigset_t old_mask_{};
  int fd_ = -1;  // a signalfd
};

/// A started program, waited for by wait() or wait_for() (or by the destructor, which kills it
/// first).
///
/// Thread safety: one object, one thread.
class child_process {
 public:
  enum class output { inherit, discard, pipe };
  struct options {
    std::vector<std::string> argv;  // argv[0] is looked up in $PATH when it has no '/'
    std::vector<std::string> env;   // "NAME=value" entries replacing or adding to ours
    output out = output::inherit;   // the child's stdout
    // What wait_for passes on; the child starts with the signal mask from before they were held.
    held_signals* signals = nullptr;
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

  /// How wait_for ended.
  struct ending {
    int status = 0;          // the wait status (as waitpid gives it)
    bool timed_out = false;  // the timeout passed and the child was stopped
    int stop_signal = 0;     // SIGINT or SIGTERM came to brigade and was passed on; else 0
  };

  /// Waits for the child to end, at most `timeout`. When the timeout passes, the child gets
  /// SIGTERM; when SIGINT or SIGTERM comes to brigade (held by options::signals), the child gets
  /// that signal. If it still runs `grace` later (or another signal comes), it gets SIGKILL.
  /// Either way it has been reaped when wait_for returns.
  ///
  /// Errors: std::logic_error without options::signals.
  ending wait_for(std::chrono::nanoseconds timeout,
                  std::chrono::nanoseconds grace = std::chrono::seconds(5));

 private:
  bool try_reap(int& status);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  held_signals* signals_ = nullptr;
};

/// "exited with status 3", "was killed by signal 9 (Killed)".
std::string describe_status(int wait_status);

/// Whether a wait status is a normal exit with status 0.
bool succeeded(int wait_status) noexcept;

/// argv as one shell-like line, for messages: `team_of_chefs --size 64`.
std::string command_line(const std::vector<std::string>& argv);

}  // namespace brigade::cli
