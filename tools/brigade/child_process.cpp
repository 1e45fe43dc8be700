// Children started as brigade::process with a chosen stdout, waits on an event loop with a timeout
// that pass SIGINT and SIGTERM on to the child, and readable exit statuses.
#include "child_process.hpp"

#include <brigade/core/scope.hpp>
#include <brigade/io/timeout.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <stdexcept>
#include <system_error>

namespace brigade::cli {
namespace {

bool ignored(int sig) {
  struct sigaction now {};
  return sigaction(sig, nullptr, &now) == 0 && now.sa_handler == SIG_IGN;
}

// SIGINT and SIGTERM unless they are ignored: a shell starts a background job of a script with
// SIGINT ignored so that ^C stops only the script, and that must stay so.
std::optional<brigade::signal_set> hold(brigade::event_loop& loop) {
  using set = std::initializer_list<int>;
  const bool i = !ignored(SIGINT), t = !ignored(SIGTERM);
  if (i && t) return std::optional<brigade::signal_set>(std::in_place, loop, set{SIGINT, SIGTERM});
  if (i) return std::optional<brigade::signal_set>(std::in_place, loop, set{SIGINT});
  if (t) return std::optional<brigade::signal_set>(std::in_place, loop, set{SIGTERM});
  return std::nullopt;
}

sigset_t current_mask() {
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return mask;
}

// The first SIGINT or SIGTERM goes to the child; a second one, or the grace period passing, ends
// it with SIGKILL. Stopped (operation_cancelled) once the child has ended.
brigade::task<void> pass_on_signals(brigade::process& p, brigade::signal_set& set,
                                    std::chrono::nanoseconds grace, int& first) {
  first = co_await set.wait();
  p.kill(first);
  try {
    (void)co_await brigade::timeout(grace, set.wait());
  } catch (const brigade::timed_out&) {
  }
  p.kill(SIGKILL);
}

// The end of p: at most `timeout`, then SIGTERM, then after `grace` SIGKILL.
brigade::task<brigade::exit_status> wait_with_deadline(brigade::process& p,
                                                       std::chrono::nanoseconds timeout,
                                                       std::chrono::nanoseconds grace,
                                                       bool& timed_out) {
  try {
    co_return co_await brigade::timeout(timeout, p.wait());
  } catch (const brigade::timed_out&) {
  }
  timed_out = true;
  p.kill(SIGTERM);
  try {
    co_return co_await brigade::timeout(grace, p.wait());
  } catch (const brigade::timed_out&) {
  }
  p.kill(SIGKILL);  // it ignored SIGTERM for the whole grace period
  co_return co_await p.wait();
}

brigade::task<child_process::ending> supervise(brigade::process& p, brigade::signal_set* set,
                                               std::chrono::nanoseconds timeout,
                                               std::chrono::nanoseconds grace) {
  child_process::ending e;
  brigade::scope forwarding;
  if (set != nullptr) forwarding.spawn(pass_on_signals(p, *set, grace, e.stop_signal));
  std::exception_ptr failed;
  try {
    e.status = co_await wait_with_deadline(p, timeout, grace, e.timed_out);
  } catch (...) {
    failed = std::current_exception();
  }
  forwarding.request_stop();
  co_await forwarding.join();  // the scope must not end with its child running
  if (failed) std::rethrow_exception(failed);
  co_return e;
}

}  // namespace

held_signals::held_signals() : old_mask_(current_mask()), set_(hold(loop_)) {}

held_signals::~held_signals() {
  set_.reset();
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

child_process::child_process(brigade::event_loop& loop, const options& o) : loop_(&loop) {
  using stdio = brigade::process::stdio;
  int pipe_fds[2] = {-1, -1};
  stdio out = stdio::inherit;
  if (o.out == output::discard) {
    out = stdio::null;
  } else if (o.out == output::pipe) {
    // Our own pipe, not stdio::pipe: its reading end blocks, for code that runs no loop.
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
      throw std::system_error(errno, std::generic_category(), "cannot make a pipe");
    out = stdio::from_fd(pipe_fds[1]);
  }
  try {
    process_ = brigade::process(loop, o.argv,
                                {.env = brigade::process::environment_with(o.env), .out = out});
  } catch (...) {
    for (const int fd : pipe_fds)
      if (fd >= 0) close(fd);
    throw;
  }
  if (pipe_fds[1] >= 0) close(pipe_fds[1]);  // the child has its copy
  out_fd_ = pipe_fds[0];
}

child_process::~child_process() {
  // brigade::process kills a child that was never waited for (an error is on its way out).
  if (out_fd_ >= 0) close(out_fd_);
}

child_process::ending child_process::wait_for(held_signals& held, std::chrono::nanoseconds timeout,
                                              std::chrono::nanoseconds grace) {
  if (&held.loop() != loop_)
    throw std::logic_error("child_process::wait_for: the child was started on another loop");
  return loop_->run_until(supervise(process_, held.signals(), timeout, grace));
}

std::string describe_status(const brigade::exit_status& s) {
  if (s.exited()) return "exited with status " + std::to_string(s.code);
  return "was killed by signal " + std::to_string(s.signal) + " (" + strsignal(s.signal) + ")";
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& a : argv) {
    if (!line.empty()) line += ' ';
    line += a;
  }
  return line;
}

}  // namespace brigade::cli
