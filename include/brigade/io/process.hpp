// Child processes on the event loop: start a program, talk to it through pipes, await its end.
//
//   brigade::process p(loop, {"grep", "-c", "salt"},
//                      {.in = brigade::process::stdio::pipe, .out =
//                      brigade::process::stdio::pipe});
//   co_await p.stdin_pipe().write("salt\npepper\nsalt\n");
//   p.stdin_pipe().close();                                  // grep reads end of file
//   std::string count = co_await p.stdout_pipe().read_to_end();
//   brigade::exit_status s = co_await p.wait();              // s.success()
//
// The end of a child is observed through a pidfd that the loop polls, so brigade installs no
// SIGCHLD handler and never reaps children it did not start. Give a wait a deadline with
// brigade::timeout(d, p.wait()), and stop a child with p.kill(SIGTERM).
#pragma once

#include <brigade/core/task.hpp>
#include <brigade/io/detail/socket_base.hpp>
#include <brigade/io/event_loop.hpp>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace brigade {

/// One end of a pipe to or from a child process, a stream on the event loop. Move-only;
/// closes on destruction (close() the child's stdin to send it end of file).
///
/// Thread safety: one read and one write may be in flight at a time; the awaiting coroutine
/// resumes on the loop thread. Cancellation: every operation honours the awaiting coroutine's
/// stop token. Errors: std::system_error with the errno (EPIPE when the child closed its end)
/// and the operation in its message.
class pipe_stream : public detail::fd_owner {
 public:
  pipe_stream() noexcept = default;
  /// Adopts a non-blocking pipe end.
  pipe_stream(event_loop& loop, int fd) noexcept : fd_owner(loop, fd) {}

  /// Reads what is available, at most buf.size() bytes; 0 means the writer closed its end.
  detail::transfer_awaiter read(std::span<char> buf) noexcept {
    return {*loop_,     detail::io_kind::read,       fd_, buf.data(),
            buf.size(), "brigade::pipe_stream::read"};
  }
  /// Writes some of buf (at least one byte unless buf is empty); returns how many.
  detail::transfer_awaiter write_some(std::string_view buf) noexcept {
    return {*loop_,     detail::io_kind::write,       fd_, const_cast<char*>(buf.data()),
            buf.size(), "brigade::pipe_stream::write"};
  }
  /// Writes all of buf.
  task<void> write(std::string_view buf);
  /// Reads until the writer closes its end; std::length_error past max_size bytes.
  task<std::string> read_to_end(std::size_t max_size = 64 * 1024 * 1024);
};

/// How a child ended: its exit code, or the signal that ended it, and the CPU time it used.
struct exit_status {
  int code = 0;    ///< the exit code (0..255) when exited(), else 128 + signal (as a shell)
  int signal = 0;  ///< the signal that ended the child, 0 if it exited
  /// CPU time the child used in user and in kernel mode (its own, and that of the children it
  /// waited for), as getrusage(RUSAGE_CHILDREN) would count it.
  std::chrono::microseconds user_time{0}, system_time{0};
  bool exited() const noexcept { return signal == 0; }
  bool success() const noexcept { return signal == 0 && code == 0; }
};

/// A child process started on an event loop. Move-only.
///
/// Semantics: the constructor starts the program (posix_spawn; argv[0] is looked up in PATH
/// unless it contains a '/'), with the given environment, working directory and standard
/// streams and the signal mask emptied (a signal_set's blocked signals reach the child). A signal
/// the program ignores stays ignored in the child, as exec keeps it (`nohup`'s SIGHUP, a shell's
/// SIGINT for a background job); SIGPIPE is set back to its default if brigade ignored it (see
/// below). wait() gives the
/// exit status once the child ends (it reaps it); it may be awaited again and gives the same.
/// Code that runs no loop (a command line, a test) waits with blocking_wait() or
/// try_wait_for(d) instead; the loop is then only needed for pipes.
/// Destroying a process that was not waited for kills it (SIGKILL) and reaps it, so no child
/// outlives its process object and no zombie is left; call wait() first to let it finish.
///
/// SIGPIPE: the first process started with a stdin pipe sets SIGPIPE to ignored if it was at its
/// default action (as Go's and Rust's runtimes do), so writing to a child that has exited
/// fails with EPIPE instead of ending the parent. A handler the program installed is kept.
///
/// Blocking: that destructor waits for the killed child to be reaped (normally microseconds;
/// longer only for a child stuck in the kernel); blocking_wait() and try_wait_for() block by
/// design (never call them on a loop's thread while the loop runs). Everything else here never
/// blocks.
///
/// Thread safety: distinct objects are independent; one object is used by one coroutine at a
/// time. Resumes on the loop thread.
/// Cancellation: wait() honours the awaiting coroutine's stop token (the child keeps running);
/// so does brigade::timeout(d, p.wait()), which throws brigade::timed_out.
/// Errors: std::system_error naming the program and the reason (errno text) when it cannot be
/// started — a missing program, a working directory that does not exist, a program that is not
/// executable, a descriptor given with stdio::from_fd that is not open: these are errors of the
/// constructor, not an exit code 127 later; std::invalid_argument for an empty argv.
class process {
 public:
  /// What a standard stream of the child is: `stdio::inherit` (the parent's own),
  /// `stdio::null` (/dev/null), `stdio::pipe` (a pipe whose other end is this object's
  /// stdin_pipe()/stdout_pipe()/stderr_pipe()), or `stdio::from_fd(fd)`: a copy of one of the
  /// parent's descriptors (a file, a socket, a pipe end the caller reads blocking); the parent
  /// keeps its own and may close it once the constructor returns. Two streams may name the same
  /// descriptor (stdout and stderr to one log file).
  class stdio {
   public:
    enum class kind : unsigned char { inherit, null, pipe, descriptor };
    static const stdio inherit;
    static const stdio null;
    static const stdio pipe;
    /// std::invalid_argument (naming it) for a negative descriptor.
    static stdio from_fd(int fd);

    constexpr kind how() const noexcept { return kind_; }
    /// The parent's descriptor (kind::descriptor), else -1.
    constexpr int fd() const noexcept { return fd_; }
    constexpr bool operator==(const stdio&) const noexcept = default;

   private:
    constexpr stdio(kind k, int fd) noexcept : kind_(k), fd_(fd) {}
    kind kind_;
    int fd_;
  };

  struct options {
    /// NAME=VALUE entries that make up the child's whole environment; nullopt: the parent's.
    /// process::environment_with({...}) gives the parent's with some entries changed.
    std::optional<std::vector<std::string>> env = std::nullopt;
    /// The child's working directory; empty: the parent's.
    std::string cwd = {};
    stdio in = stdio::inherit;
    stdio out = stdio::inherit;
    stdio err = stdio::inherit;
    /// Signals the child starts with at their default action even if this process ignores them
    /// (e.g. {SIGINT} for a child that must stop on ^C though we were started as a background
    /// job). std::invalid_argument naming a number that is not a signal.
    std::vector<int> default_signals = {};
  };

  process() noexcept = default;
  process(event_loop& loop, std::vector<std::string> argv) : process(loop, std::move(argv), {}) {}
  process(event_loop& loop, std::vector<std::string> argv, options o);
  process(process&& o) noexcept;
  process& operator=(process&& o) noexcept;
  ~process();

  /// The child's process id (still valid after it ended, until this object is destroyed).
  int pid() const noexcept { return pid_; }

  /// The parent's ends of the pipes asked for; an empty stream (is_open() false) otherwise.
  pipe_stream& stdin_pipe() noexcept { return in_; }
  pipe_stream& stdout_pipe() noexcept { return out_; }
  pipe_stream& stderr_pipe() noexcept { return err_; }

  /// The parent's environment with `changes` applied: "NAME=VALUE" sets NAME (replacing it or
  /// adding it), a bare "NAME" removes it. For options::env.
  static std::vector<std::string> environment_with(const std::vector<std::string>& changes);

  /// `co_await p.wait()`: the exit status, once the child has ended.
  task<exit_status> wait();
  /// The exit status if the child has ended (it is then reaped), else nullopt. Never blocks.
  std::optional<exit_status> try_wait();
  /// Blocks the calling thread until the child has ended; its exit status. For code that runs
  /// no loop.
  exit_status blocking_wait();
  /// Blocks the calling thread until the child has ended or `limit` has passed: the exit
  /// status, or nullopt if it still runs (it keeps running: kill() it if it must stop).
  std::optional<exit_status> try_wait_for(std::chrono::nanoseconds limit);

  /// Sends `sig` (SIGKILL by default) through the pidfd, so never to another process that
  /// reused the id. Nothing happens once the child has been reaped. std::system_error on
  /// failure (EINVAL for a bad signal number).
  void kill(int sig = SIGKILL);

 private:
  void reset() noexcept;
  std::optional<exit_status> reap(bool block);
  void check_child(const char* what) const;

  event_loop* loop_ = nullptr;
  int pid_ = -1;
  detail::fd_owner pidfd_;
  std::optional<exit_status> status_;
  std::string name_;  // argv[0], for messages
  pipe_stream in_, out_, err_;
};

inline constexpr process::stdio process::stdio::inherit{kind::inherit, -1};
inline constexpr process::stdio process::stdio::null{kind::null, -1};
inline constexpr process::stdio process::stdio::pipe{kind::pipe, -1};

}  // namespace brigade
