// Child processes for the web_server tests: the server under test (started on port 0, stopped
// by a signal) and short-lived programs such as curl.
#pragma once

#include <brigade/io/event_loop.hpp>
#include <brigade/io/process.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace web_test {

/// The server binary CMake built (compile definition).
inline const char* server_binary() {
  return WEB_SERVER_BINARY;
}

/// What a finished program left: its exit code (128 + signal if a signal killed it, -1 if it
/// ran past its time limit and was killed), its stdout and its stderr.
struct run_result {
  int code = -1;
  std::string out;
  std::string err;
};

/// Runs argv[0] (a path) with the given arguments and environment additions ("NAME=value"),
/// waits at most `limit`, and captures both output streams.
run_result run_program(const std::vector<std::string>& argv, std::chrono::seconds limit,
                       const std::vector<std::string>& env = {});

/// A running web_server. Construction starts it with `flags` plus "--port 0" (run through
/// `prefix`, a command such as prlimit, when given) and waits for its "listening on
/// ADDRESS:PORT" line; std::runtime_error (with its stderr) if it never comes. The destructor
/// kills a server that is still running: no test leaves one behind.
class server_process {
 public:
  explicit server_process(std::vector<std::string> flags, std::vector<std::string> env = {},
                          std::vector<std::string> prefix = {});
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return process_.pid(); }

  /// Sends sig and waits at most `limit` for the exit. Returns the exit code (128 + signal
  /// when a signal ended it), or -1 after a timeout (the server is then killed).
  int stop(int sig, std::chrono::seconds limit);
  /// Waits at most `limit` for an exit that is already under way; as stop().
  int wait_for_exit(std::chrono::seconds limit);
  bool running() const noexcept { return running_; }

  /// Everything the server wrote to stderr so far.
  std::string log() const;
  /// The server's resident memory (VmRSS), in bytes.
  long rss_bytes() const;
  /// The CPU time (user + system) the server has used, in seconds; after it exited (and was
  /// waited for in time), all it used.
  double cpu_seconds() const;

 private:
  // The child's; never run: the waits here block.
  brigade::event_loop loop_{brigade::event_loop::options{brigade::io_backend::epoll}};
  brigade::process process_;
  bool running_ = false;  // started and not waited for
  int stdout_fd_ = -1;
  std::string log_path_;
  std::uint16_t port_ = 0;
  double cpu_at_exit_ = -1;
};

}  // namespace web_test
