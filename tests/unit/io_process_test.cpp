// Child processes on both backends: pipes both ways, exit codes and signals, kill, a wait with a
// deadline, environment and working directory, spawn errors, many children at once.
#include <brigade/core/errors.hpp>
#include <brigade/core/when_all.hpp>
#include <brigade/io/process.hpp>
#include <brigade/io/timeout.hpp>

#include "support/backends.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

namespace {

using namespace std::chrono_literals;
using brigade::process;
using brigade::testing::on_loop;

class child : public on_loop {};

TEST_P(child, echoes_through_pipes) {
  auto body = [&]() -> brigade::task<std::string> {
    process p(loop(), {"cat"}, {.in = process::stdio::pipe, .out = process::stdio::pipe});
    auto feed = [&]() -> brigade::task<void> {
      co_await p.stdin_pipe().write("salt\npepper\n");
      p.stdin_pipe().close();  // cat reads end of file
    };
    auto [fed, out] = co_await brigade::when_all(feed(), p.stdout_pipe().read_to_end());
    (void)fed;
    const brigade::exit_status s = co_await p.wait();
    EXPECT_TRUE(s.success());
    co_return out;
  };
  EXPECT_EQ(loop().run_until(body()), "salt\npepper\n");
}

TEST_P(child, reports_the_exit_code_and_reads_stderr) {
  auto body = [&]() -> brigade::task<brigade::exit_status> {
    process p(loop(), {"sh", "-c", "echo burnt >&2; exit 3"},
              {.out = process::stdio::null, .err = process::stdio::pipe});
    EXPECT_FALSE(p.stdout_pipe().is_open());
    EXPECT_EQ(co_await p.stderr_pipe().read_to_end(), "burnt\n");
    auto s = co_await p.wait();
    EXPECT_EQ((co_await p.wait()).code, 3);  // waiting again gives the same
    co_return s;
  };
  const auto s = loop().run_until(body());
  EXPECT_TRUE(s.exited());
  EXPECT_FALSE(s.success());
  EXPECT_EQ(s.code, 3);
}

TEST_P(child, kill_ends_it_with_the_signal) {
  auto body = [&]() -> brigade::task<brigade::exit_status> {
    process p(loop(), {"sleep", "60"});
    EXPECT_FALSE(p.try_wait());
    p.kill(SIGTERM);
    auto s = co_await p.wait();
    p.kill(SIGTERM);  // reaped: nothing happens
    co_return s;
  };
  const auto s = loop().run_until(body());
  EXPECT_FALSE(s.exited());
  EXPECT_EQ(s.signal, SIGTERM);
  EXPECT_EQ(s.code, 128 + SIGTERM);
}

TEST_P(child, a_wait_with_a_deadline_times_out_and_the_child_can_be_killed) {
  auto body = [&]() -> brigade::task<bool> {
    process p(loop(), {"sleep", "60"});
    const auto start = std::chrono::steady_clock::now();
    bool timed_out = false;
    try {
      (void)co_await brigade::timeout(50ms, p.wait());
    } catch (const brigade::timed_out&) {
      timed_out = true;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    p.kill();
    EXPECT_EQ((co_await p.wait()).signal, SIGKILL);
    co_return timed_out;
  };
  EXPECT_TRUE(loop().run_until(body()));
}

TEST_P(child, gets_its_environment_and_working_directory) {
  const auto dir = std::filesystem::temp_directory_path();
  ::setenv("BRIGADE_PARENT_ONLY", "1", 1);
  auto body = [&]() -> brigade::task<std::string> {
    process p(loop(), {"/bin/sh", "-c", "echo \"$DISH:${BRIGADE_PARENT_ONLY-unset}\"; pwd"},
              {.env = std::vector<std::string>{"DISH=soup"},
               .cwd = dir.string(),
               .out = process::stdio::pipe});
    auto out = co_await p.stdout_pipe().read_to_end();
    EXPECT_TRUE((co_await p.wait()).success());
    co_return out;
  };
  EXPECT_EQ(loop().run_until(body()),
            "soup:unset\n" + std::filesystem::canonical(dir).string() + "\n");
}

TEST_P(child, a_missing_program_is_an_error_at_spawn_naming_it) {
  try {
    process p(loop(), {"brigade-no-such-program"});
    FAIL() << "spawned a program that does not exist";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("brigade-no-such-program"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
  EXPECT_THROW(process(loop(), {"true"}, {.cwd = "/brigade/no/such/dir"}), std::system_error);
  EXPECT_THROW(process(loop(), {}), std::invalid_argument);
}

TEST_P(child, writing_to_a_child_that_exited_is_epipe_not_sigpipe) {
  auto body = [&]() -> brigade::task<int> {
    process p(loop(), {"true"}, {.in = process::stdio::pipe});
    EXPECT_TRUE((co_await p.wait()).success());
    try {
      co_await p.stdin_pipe().write(std::string(1 << 20, 'x'));
    } catch (const std::system_error& e) {
      co_return e.code().value();
    }
    co_return 0;
  };
  EXPECT_EQ(loop().run_until(body()), EPIPE);
}

TEST_P(child, many_children_at_once) {
  constexpr int n = 24;
  auto one = [&](int i) -> brigade::task<int> {
    process p(loop(), {"sh", "-c", "read x; echo $((x * 2)); exit $((x % 7))"},
              {.in = process::stdio::pipe, .out = process::stdio::pipe});
    co_await p.stdin_pipe().write(std::to_string(i) + "\n");
    p.stdin_pipe().close();
    const std::string out = co_await p.stdout_pipe().read_to_end();
    const auto s = co_await p.wait();
    EXPECT_EQ(s.code, i % 7);
    co_return std::stoi(out);
  };
  auto body = [&]() -> brigade::task<int> {
    std::vector<brigade::task<int>> all;
    for (int i = 0; i < n; ++i) all.push_back(one(i));
    int sum = 0;
    for (int v : co_await brigade::when_all(std::move(all))) sum += v;
    co_return sum;
  };
  EXPECT_EQ(loop().run_until(body()), n * (n - 1));
}

TEST_P(child, destroying_an_unwaited_process_kills_and_reaps_it) {
  int pid = -1;
  {
    process p(loop(), {"sleep", "60"});
    pid = p.pid();
  }
  EXPECT_EQ(::kill(pid, 0), -1);  // gone, not a zombie
  EXPECT_EQ(errno, ESRCH);
}

TEST_P(child, streams_go_to_descriptors_of_ours_one_file_for_both) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("brigade_process_fd_" + std::to_string(::getpid()) + ".log");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  {
    process p(loop(), {"sh", "-c", "echo out; echo err >&2; exit 5"},
              {.out = process::stdio::from_fd(fd), .err = process::stdio::from_fd(fd)});
    ::close(fd);  // the child has its own copies
    const brigade::exit_status s = p.blocking_wait();
    EXPECT_EQ(s.code, 5);
  }
  std::ifstream in(path);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_EQ(text, "out\nerr\n");
  std::filesystem::remove(path);
}

TEST_P(child, a_descriptor_that_is_not_open_is_an_error_naming_it) {
  EXPECT_THROW(process::stdio::from_fd(-1), std::invalid_argument);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  ::close(fds[1]);  // fds[1] is now a closed descriptor
  try {
    process p(loop(), {"true"}, {.in = process::stdio::from_fd(fds[1])});
    FAIL() << "started with a closed descriptor";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EBADF);
    EXPECT_NE(std::string(e.what()).find("descriptor " + std::to_string(fds[1])), std::string::npos)
        << e.what();
  }
}

TEST_P(child, environment_with_sets_replaces_and_removes) {
  ::setenv("BRIGADE_ENV_KEEP", "kept", 1);
  ::setenv("BRIGADE_ENV_REPLACE", "old", 1);
  ::setenv("BRIGADE_ENV_REMOVE", "gone?", 1);
  const auto env = process::environment_with(
      {"BRIGADE_ENV_REPLACE=new", "BRIGADE_ENV_REMOVE", "BRIGADE_ENV_ADD=added"});
  auto body = [&]() -> brigade::task<std::string> {
    process p(loop(),
              {"sh", "-c",
               "echo \"$BRIGADE_ENV_KEEP $BRIGADE_ENV_REPLACE ${BRIGADE_ENV_REMOVE-unset} "
               "$BRIGADE_ENV_ADD\"; env | grep -c ^BRIGADE_ENV_REPLACE="},
              {.env = env, .out = process::stdio::pipe});
    auto out = co_await p.stdout_pipe().read_to_end();
    EXPECT_TRUE((co_await p.wait()).success());
    co_return out;
  };
  EXPECT_EQ(loop().run_until(body()), "kept new unset added\n1\n");
}

TEST_P(child, blocking_waits_for_code_that_runs_no_loop) {
  process sleeper(loop(), {"sleep", "60"});
  EXPECT_FALSE(sleeper.try_wait_for(20ms).has_value());  // still running, and still is
  sleeper.kill();
  const brigade::exit_status killed = sleeper.blocking_wait();
  EXPECT_EQ(killed.signal, SIGKILL);
  EXPECT_EQ(sleeper.blocking_wait().signal, SIGKILL);  // waiting again gives the same

  process quick(loop(), {"sh", "-c", "exit 4"});
  const auto s = quick.try_wait_for(600s);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->code, 4);
  // A limit too long for the clock waits like blocking_wait (it wrapped into the past before,
  // and returned at once with nothing).
  process late(loop(), {"sh", "-c", "sleep 0.2; exit 5"});
  const auto forever = late.try_wait_for(std::chrono::nanoseconds::max());
  ASSERT_TRUE(forever.has_value());
  EXPECT_EQ(forever->code, 5);
  EXPECT_THROW((void)process().blocking_wait(), std::logic_error);
}

TEST_P(child, the_status_carries_the_cpu_time_the_child_used) {
  process p(loop(), {"sh", "-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done"});
  const brigade::exit_status s = p.blocking_wait();
  EXPECT_TRUE(s.success());
  EXPECT_GT((s.user_time + s.system_time).count(), 0);
}

// The signals a child started now ignores (SigIgn of its /proc status).
unsigned long long ignored_in_child(brigade::event_loop& loop, process::stdio in,
                                    std::vector<int> defaults = {}) {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  process p(loop, {"sh", "-c", "exec grep SigIgn: /proc/self/status"},
            {.in = in, .out = process::stdio::from_fd(fds[1]), .default_signals = defaults});
  ::close(fds[1]);
  std::string line;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    line.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  EXPECT_TRUE(p.blocking_wait().success());
  return std::stoull(line.substr(line.find(':') + 1), nullptr, 16);
}

constexpr unsigned long long bit(int sig) {
  return 1ULL << (sig - 1);
}

TEST_P(child, an_ignored_signal_stays_ignored_unless_asked_and_sigpipe_comes_back) {
  struct sigaction ignore {};
  struct sigaction old_int {};
  struct sigaction pipe_before {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, &old_int);  // as nohup does for SIGHUP, or a shell for SIGINT
  ::sigaction(SIGPIPE, nullptr, &pipe_before);
  // A stdin pipe makes brigade ignore SIGPIPE in this process (when it was at its default).
  const unsigned long long ignored = ignored_in_child(loop(), process::stdio::pipe);
  const unsigned long long asked_default =
      ignored_in_child(loop(), process::stdio::inherit, {SIGINT});
  struct sigaction pipe_after {};
  ::sigaction(SIGPIPE, nullptr, &pipe_after);
  ::sigaction(SIGINT, &old_int, nullptr);
  EXPECT_NE(ignored & bit(SIGINT), 0U) << std::hex << ignored;
  EXPECT_EQ(asked_default & bit(SIGINT), 0U) << std::hex << asked_default;
  EXPECT_THROW(process(loop(), {"true"}, {.default_signals = {0}}), std::invalid_argument);
  EXPECT_THROW(process(loop(), {"true"}, {.default_signals = {4096}}), std::invalid_argument);
  // When SIGPIPE was already ignored as this test started, whether by brigade (an earlier test
  // in this process) or by whoever started the test, the two cannot be told apart here; run
  // alone (as ctest runs each test) it starts at its default.
  if (pipe_before.sa_handler == SIG_DFL) {
    EXPECT_EQ(pipe_after.sa_handler, SIG_IGN);
    EXPECT_EQ(ignored & bit(SIGPIPE), 0U) << std::hex << ignored;
  }
}

BRIGADE_INSTANTIATE_ON_BACKENDS(child);

}  // namespace
