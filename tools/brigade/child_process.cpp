// Children started through spawn() with a chosen stdout, waits with a timeout that pass SIGINT
// and SIGTERM on to the child, and readable exit statuses.
#include "child_process.hpp"
#include "spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <stdexcept>

namespace brigade::cli {
namespace {

// SIGCHLD, and SIGINT and SIGTERM unless they are ignored: a shell starts a background job of a
// script with SIGINT ignored so that ^C stops only the script, and that must stay so.
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (const int sig : {SIGINT, SIGTERM}) {
    struct sigaction now {};
    if (sigaction(sig, nullptr, &now) == 0 && now.sa_handler != SIG_IGN) sigaddset(&set, sig);
  }
  return set;
}

[[noreturn]] void throw_errno(const char* what) {
  throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

held_signals::held_signals() {
  const sigset_t set = stop_signals();
  // Blocked signals are not lost: they stay pending until the signalfd reads them.
  if (const int err = pthread_sigmask(SIG_BLOCK, &set, &old_mask_); err != 0) {
    errno = err;
    throw_errno("pthread_sigmask");
  }
  fd_ = signalfd(-1, &set, SFD_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    errno = err;
    throw_errno("signalfd");
  }
}

held_signals::~held_signals() {
  close(fd_);
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

int held_signals::next(std::chrono::milliseconds timeout) {
  const auto ms =
      static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(timeout.count(), 0, INT_MAX));
  pollfd p{fd_, POLLIN, 0};
  const int ready = poll(&p, 1, ms);
  if (ready < 0 && errno != EINTR) throw_errno("poll");
  if (ready <= 0) return 0;
  signalfd_siginfo info{};
  const ssize_t n = read(fd_, &info, sizeof info);
  if (n != static_cast<ssize_t>(sizeof info)) return 0;  // EINTR or EAGAIN: poll again
  return static_cast<int>(info.ssi_signo);
}

child_process::child_process(const options& o) {
  spawn_options so{.argv = o.argv, .env = o.env};
  // The child must not inherit the signals we hold, or SIGTERM could never stop it.
  if (o.signals != nullptr) so.signal_mask = &o.signals->old_mask();
  signals_ = o.signals;
  int pipe_fds[2] = {-1, -1};
  if (o.out == output::discard) {
    so.dev_null.push_back(1);
  } else if (o.out == output::pipe) {
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("cannot make a pipe: ") + std::strerror(errno));
    so.dup2.emplace_back(pipe_fds[1], 1);  // both originals close at exec
  }
  try {
    pid_ = spawn(so);
  } catch (...) {
    for (const int fd : pipe_fds)
      if (fd >= 0) close(fd);
    throw;
  }
  if (pipe_fds[1] >= 0) close(pipe_fds[1]);
  out_fd_ = pipe_fds[0];
}

child_process::~child_process() {
  if (pid_ > 0) {  // never waited for: an error is on its way out, so stop the child too
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (out_fd_ >= 0) close(out_fd_);
}

int child_process::wait() {
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
  pid_ = -1;
  return status;
}

bool child_process::try_reap(int& status) {
  for (;;) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return true;
    }
    if (r == 0) return false;
    if (errno != EINTR) throw_errno("waitpid");
  }
}

child_process::ending child_process::wait_for(std::chrono::nanoseconds timeout,
                                              std::chrono::nanoseconds grace) {
  if (signals_ == nullptr) throw std::logic_error("child_process::wait_for without held signals");
  using clock = std::chrono::steady_clock;
  ending e;
  auto deadline = clock::now() + timeout;
  bool stopping = false;  // asked to stop (SIGTERM or the forwarded signal); SIGKILL next
  auto kill_now = [&] {
    kill(pid_, SIGKILL);
    e.status = wait();
    return e;
  };
  for (;;) {
    if (try_reap(e.status)) return e;
    const auto now = clock::now();
    if (now >= deadline) {
      if (stopping) return kill_now();  // it ignored SIGTERM for the whole grace period
      e.timed_out = true;
      stopping = true;
      kill(pid_, SIGTERM);
      deadline = now + grace;
      continue;
    }
    const int sig = signals_->next(std::chrono::ceil<std::chrono::milliseconds>(deadline - now));
    if (sig != SIGINT && sig != SIGTERM) continue;  // SIGCHLD or nothing: look again
    if (e.stop_signal == 0) e.stop_signal = sig;
    if (stopping) return kill_now();  // a second request: no more waiting
    stopping = true;
    kill(pid_, sig);
    deadline = clock::now() + grace;
  }
}

std::string describe_status(int wait_status) {
  if (WIFEXITED(wait_status))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    return "was killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
  }
  return "ended with wait status " + std::to_string(wait_status);
}

bool succeeded(int wait_status) noexcept {
  return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
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
