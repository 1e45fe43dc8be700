// `brigade scale` stopping what it runs: a run past --timeout, and SIGTERM or SIGINT sent to
// brigade while a run is going.
#include "cli_run.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace {

using namespace brigade_cli_test;

// The pid of a child of `parent` running `command` (its /proc comm), or -1.
pid_t child_running(pid_t parent, const std::string& command) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ')'.
    const std::size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 4 > stat.size())
      continue;
    const std::string comm = stat.substr(open + 1, close - open - 1);
    const pid_t ppid = static_cast<pid_t>(std::atol(stat.c_str() + close + 4));
    if (ppid == parent && comm == command) return static_cast<pid_t>(std::stol(name));
  }
  return -1;
}

bool gone(pid_t pid) {
  return kill(pid, 0) != 0 && errno == ESRCH;
}

TEST(cli_scale_stop, a_run_past_the_timeout_is_stopped_and_named) {
  const outcome o = run_brigade(
      {"scale", "--timeout", "1", "--max-threads", "1", "--reps", "1", "--", "sleep", "1000"});
  expect_one_line_error(
      o, "\"sleep 1000\" at BRIGADE_THREADS=1 timed out after 1 s (--timeout) and was stopped");
}

// Before: SIGTERM ended brigade at once and its sleep ran on, orphaned.
void expect_signal_stops_the_run(int sig, const std::string& name) {
  const started b =
      start_brigade({"scale", "--max-threads", "1", "--reps", "1", "--", "sleep", "1000"});
  ASSERT_GT(b.pid, 0);
  pid_t sleeper = -1;
  ASSERT_TRUE(eventually([&] { return (sleeper = child_running(b.pid, "sleep")) > 0; }))
      << "brigade did not start sleep";
  ASSERT_EQ(kill(b.pid, sig), 0);
  const outcome o = finish(b);
  const bool sleeper_gone = gone(sleeper);
  if (!sleeper_gone) kill(sleeper, SIGKILL);  // leave nothing behind, whatever happened
  EXPECT_TRUE(sleeper_gone) << "sleep " << sleeper << " outlived brigade";
  EXPECT_EQ(o.status, 128 + sig) << o.err;
  expect_one_line_error(o, "stopped by " + name + " while running \"sleep 1000\"");
}

TEST(cli_scale_stop, sigterm_is_passed_on_to_the_running_command) {
  expect_signal_stops_the_run(SIGTERM, "SIGTERM");
}

TEST(cli_scale_stop, sigint_is_passed_on_to_the_running_command) {
  expect_signal_stops_the_run(SIGINT, "SIGINT");
}

TEST(cli_scale_stop, an_ignored_sigint_stays_ignored) {
  // A script's background job starts with SIGINT ignored so that ^C stops only the script.
  const started b = start_brigade(
      {"scale", "--max-threads", "1", "--reps", "1", "--", "sleep", "1000"}, sigint_ignored());
  ASSERT_GT(b.pid, 0);
  pid_t sleeper = -1;
  ASSERT_TRUE(eventually([&] { return (sleeper = child_running(b.pid, "sleep")) > 0; }));
  // Pending signals are taken lowest number first: had SIGINT been held, it would win.
  ASSERT_EQ(kill(b.pid, SIGINT), 0);
  ASSERT_EQ(kill(b.pid, SIGTERM), 0);
  const outcome o = finish(b);
  if (!gone(sleeper)) kill(sleeper, SIGKILL);
  EXPECT_EQ(o.status, 128 + SIGTERM) << o.err;
  expect_one_line_error(o, "stopped by SIGTERM");
}

}  // namespace
