// Running another program (the measured command, brigade_bench) as a brigade::process, with a
// wait that passes SIGINT and SIGTERM sent to brigade on to the child.
#pragma once

#include <brigade/io/event_loop.hpp>
#include <brigade/io/process.hpp>
#include <brigade/io/signal.hpp>

#include <signal.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace brigade::cli {

/// While alive, SIGINT and SIGTERM sent to brigade wait to be read by a signal_set on loop()
/// instead of ending it, so that child_process::wait_for can pass them on to the child and reap
/// it: killing brigade alone would leave the child running with nobody to wait for it. (One that
/// brigade was started with ignored stays ignored, and so it does in the child.) Create it before
/// starting the child: a signal that comes between the start and the wait is then held, not lost.
/// On destruction the signal mask is restored, and a signal still held then acts as usual.
///
/// Thread safety: one object, one thread; the process must have no other thread that takes these
/// signals (brigade's own threads block them).
class held_signals {
 public:
  held_signals();
  ~held_signals();
  held_signals(const held_signals&) = delete;
  held_signals& operator=(const held_signals&) = delete;

  /// The loop children are started on and waited for, and the held signals read.
  brigade::event_loop& loop() noexcept { return loop_; }
  /// The held signals; empty when both were ignored.
  brigade::signal_set* signals() noexcept { return set_ ? &*set_ : nullptr; }

 private:
  sigset_t old_mask_{};
  // epoll: the loop only watches children and signals, and must never print the line an
  // automatic backend prints when the kernel refuses io_uring.
  brigade::event_loop loop_{brigade::event_loop::options{brigade::io_backend::epoll}};
  std::optional<brigade::signal_set> set_;
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
    output out = output::inherit;   // the child's stdout (pipe: read stdout_fd(), blocking)
  };

  /// Starts the program (stdin and stderr ours). std::system_error naming argv[0] when it cannot
  /// be started.
  child_process(brigade::event_loop& loop, const options& o);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// The read end of the child's stdout (output::pipe; blocking reads), else -1.
  int stdout_fd() const noexcept { return out_fd_; }

  /// Waits (blocking) for the child to end; its exit status.
  brigade::exit_status wait() { return process_.blocking_wait(); }

  /// How wait_for ended.
  struct ending {
    brigade::exit_status status;
    bool timed_out = false;  // the timeout passed and the child was stopped
    int stop_signal = 0;     // SIGINT or SIGTERM came to brigade and was passed on; else 0
  };

  /// Waits for the child to end, at most `timeout`, running held.loop() (which the child must
  /// have been started on). When the timeout passes, the child gets SIGTERM; when SIGINT or
  /// SIGTERM comes to brigade (held by `held`), the child gets that signal. If it still runs
  /// `grace` later (or another signal comes), it gets SIGKILL. Either way it has been reaped when
  /// wait_for returns.
  ///
  /// Errors: std::logic_error when the child was started on another loop.
  ending wait_for(held_signals& held, std::chrono::nanoseconds timeout,
                  std::chrono::nanoseconds grace = std::chrono::seconds(5));

 private:
  brigade::event_loop* loop_;
  brigade::process process_;
  int out_fd_ = -1;
};

/// "exited with status 3", "was killed by signal 9 (Killed)".
std::string describe_status(const brigade::exit_status& s);

/// argv as one shell-like line, for messages: `team_of_chefs --size 64`.
std::string command_line(const std::vector<std::string>& argv);

}  // namespace brigade::cli
