// posix_spawn with an edited environment and a chosen stdout, and readable exit statuses.
#include "child_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
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

}  // namespace

child_process::child_process(const options& o) {
  if (o.argv.empty()) throw std::invalid_argument("no command to run");
  std::vector<std::string> args = o.argv;
  std::vector<std::string> env = merged_environment(o.env);
  std::vector<char*> argv = c_strings(args);
  std::vector<char*> envp = c_strings(env);

  file_actions actions;
  int pipe_fds[2] = {-1, -1};
  if (o.out == output::discard) {
    posix_spawn_file_actions_addopen(&actions.fa, 1, "/dev/null", O_WRONLY, 0);
  } else if (o.out == output::pipe) {
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("cannot make a pipe: ") + std::strerror(errno));
    // dup2 onto 1 clears close-on-exec on the copy; both originals close at exec.
    posix_spawn_file_actions_adddup2(&actions.fa, pipe_fds[1], 1);
  }
  const int err = posix_spawnp(&pid_, argv[0], &actions.fa, nullptr, argv.data(), envp.data());
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
