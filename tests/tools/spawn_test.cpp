// brigade::cli::spawn, which the command line and the web_server tests start children with: the
// edited environment, /dev/null and dup2'd descriptors, signals set back to their default, and
// the error for a missing program.
#include "spawn.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using brigade::cli::spawn;

// Runs `sh -c script` with `env` and stdin on /dev/null (and `defaults` set back to their default
// action); returns what it wrote to stdout.
std::string output_of(const std::string& script, const std::vector<std::string>& env,
                      const sigset_t* defaults = nullptr) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
  pid_t pid = -1;
  try {
    pid = spawn({.argv = {"sh", "-c", script},
                 .env = env,
                 .dev_null = {0},
                 .dup2 = {{fds[1], 1}},
                 .signal_default = defaults});
  } catch (...) {
    close(fds[0]);
    close(fds[1]);
    throw;
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << script;
  return out;
}

TEST(spawn, an_override_replaces_the_variable_and_an_addition_is_added) {
  const std::string out = output_of("env | grep -c '^HOME='; echo \"$HOME|$BRIGADE_SPAWN_TEST\"",
                                    {"HOME=/override", "BRIGADE_SPAWN_TEST=added"});
  EXPECT_EQ(out, "1\n/override|added\n");
}

TEST(spawn, the_child_reads_dev_null_and_writes_to_the_dup2_target) {
  // cat ends at once on /dev/null (a child must never wait for input no test gives it).
  EXPECT_EQ(output_of("cat; echo done", {}), "done\n");
}

// Whether SIGINT is ignored in a child started with `defaults` (from /proc's SigIgn mask).
bool child_ignores_sigint(const sigset_t* defaults) {
  const std::string line = output_of("exec grep SigIgn: /proc/self/status", {}, defaults);
  const unsigned long long ignored = std::stoull(line.substr(line.find(':') + 1), nullptr, 16);
  return ((ignored >> (SIGINT - 1)) & 1U) != 0;
}

TEST(spawn, signal_default_gives_the_child_back_a_signal_we_ignore) {
  struct sigaction ignore {};
  struct sigaction old {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, &old);
  sigset_t sigint;
  sigemptyset(&sigint);
  sigaddset(&sigint, SIGINT);
  const bool ignored_as_is = child_ignores_sigint(nullptr);
  const bool ignored_with_default = child_ignores_sigint(&sigint);
  sigaction(SIGINT, &old, nullptr);
  EXPECT_TRUE(ignored_as_is);  // exec keeps an ignored signal ignored
  EXPECT_FALSE(ignored_with_default);
}

TEST(spawn, a_missing_program_is_an_error_naming_it) {
  try {
    spawn({.argv = {"brigade-no-such-program"}});
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("brigade-no-such-program"), std::string::npos) << e.what();
  }
  EXPECT_THROW(spawn({}), std::invalid_argument);
}

}  // namespace
