// posix_spawn with an edited environment and a chosen stdout, waits with a timeout that pass
// SIGINT and SIGTERM on to the child, and readable exit statuses.
#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace brigade::cli {
namespace {

// Our environment with each "NAME=value" of `overrides` replacing NAME (or added).
std::vector<std::string> merged_environment(const std::vector<std::string>& overrides) {
  std::vector<std::string> env;
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    bool replaced = false;
    for (const std::string& o : overrides) replaced = replaced || name_of(o) == name_of(entry);
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), overrides.begin(), overrides.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Owns a posix_spawn_file_actions_t.
struct file_actions {
  posix_spawn_file_actions_t fa;
  file_actions() { posix_spawn_file_actions_init(&fa); }
  ~file_actions() { posix_spawn_file_actions_destroy(&fa); }
  file_actions(const file_actions&) = delete;
  file_actions& operator=(const file_actions&) = delete;
};

// Owns a posix_spawnattr_t.
struct spawn_attributes {
  posix_spawnattr_t attr;
  spawn_attributes() { posix_spawnattr_init(&attr); }
  ~spawn_attributes() { posix_spawnattr_destroy(&attr); }
  spawn_attributes(const spawn_attributes&) = delete;
  spawn_attributes& operator=(const spawn_attributes&) = delete;
};

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
  if (o.argv.empty()) throw std::invalid_argument("no command to run");
  std::vector<std::string> args = o.argv;
  std::vector<std::string> env = merged_environment(o.env);
  std::vector<char*> argv = c_strings(args);
  std::vector<char*> envp = c_strings(env);

  file_actions actions;
  spawn_attributes attributes;
  if (o.signals != nullptr) {
    // The child must not inherit the signals we hold, or SIGTERM could never stop it.
    posix_spawnattr_setsigmask(&attributes.attr, &o.signals->old_mask());
    posix_spawnattr_setflags(&attributes.attr, POSIX_SPAWN_SETSIGMASK);
  }
  signals_ = o.signals;
  int pipe_fds[2] = {-1, -1};
  if (o.out == output::discard) {
    posix_spawn_file_actions_addopen(&actions.fa, 1, "/dev/null", O_WRONLY, 0);
  } else if (o.out == output::pipe) {
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("cannot make a pipe: ") + std::strerror(errno));
    // dup2 onto 1 clears close-on-exec on the copy; both originals close at exec.
    posix_spawn_file_actions_adddup2(&actions.fa, pipe_fds[1], 1);
  }
  const int err =
      posix_spawnp(&pid_, argv[0], &actions.fa, &attributes.attr, argv.data(), envp.data());
  if (pipe_fds[1] >= 0) close(pipe_fds[1]);
  if (err != 0) {
    if (pipe_fds[0] >= 0) close(pipe_fds[0]);
    throw std::runtime_error("cannot run \"" + o.argv[0] + "\": " + std::strerror(err));
  }
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
