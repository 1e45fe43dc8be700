// child_process::wait_for: the timeout, SIGKILL for a child that ignores SIGTERM, and signals to
// brigade passed on to the child.
#include "child_process.hpp"

#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace {

using brigade::cli::child_process;
using brigade::cli::held_signals;
using namespace std::chrono_literals;

// Reads the first line the child writes: it writes one when it is ready.
std::string first_line(const child_process& c) {
  std::string line;
  char ch = 0;
  while (read(c.stdout_fd(), &ch, 1) == 1 && ch != '\n') line += ch;
  return line;
}

TEST(child_process, a_child_past_its_timeout_gets_sigterm) {
  held_signals held;
  child_process c(held.loop(),
                  {.argv = {"sleep", "1000"}, .env = {}, .out = child_process::output::inherit});
  const child_process::ending e = c.wait_for(held, 0ns);
  EXPECT_TRUE(e.timed_out);
  EXPECT_EQ(e.stop_signal, 0);
  EXPECT_EQ(e.status.signal, SIGTERM);
}

TEST(child_process, a_child_that_ignores_sigterm_gets_sigkill_after_the_grace) {
  held_signals held;
  // The shell says "ready" once SIGTERM is ignored, so the timeout cannot come first.
  child_process c(held.loop(),
                  {.argv = {"sh", "-c", "trap '' TERM; echo ready; while :; do :; done"},
                   .env = {},
                   .out = child_process::output::pipe});
  ASSERT_EQ(first_line(c), "ready");
  const child_process::ending e = c.wait_for(held, 0ns, 10ms);
  EXPECT_TRUE(e.timed_out);
  EXPECT_EQ(e.status.signal, SIGKILL);
}

TEST(child_process, a_signal_to_us_is_passed_on_and_the_child_reaped) {
  held_signals held;
  child_process c(held.loop(),
                  {.argv = {"sleep", "1000"}, .env = {}, .out = child_process::output::inherit});
  // Held, so this does not end the test: wait_for reads it and passes it on.
  ASSERT_EQ(pthread_kill(pthread_self(), SIGTERM), 0);
  const child_process::ending e = c.wait_for(held, 1000s);
  EXPECT_FALSE(e.timed_out);
  EXPECT_EQ(e.stop_signal, SIGTERM);
  EXPECT_EQ(e.status.signal, SIGTERM);
}

TEST(child_process, the_child_does_not_inherit_the_held_signals) {
  held_signals held;
  // SigBlk of the child's own status: which signals it blocks (none of ours).
  child_process c(held.loop(), {.argv = {"sh", "-c", "grep SigBlk /proc/self/status"},
                                .env = {},
                                .out = child_process::output::pipe});
  const std::string line = first_line(c);
  EXPECT_TRUE(c.wait_for(held, 1000s).status.success());
  EXPECT_EQ(line.find_first_not_of("0\t", line.find(':') + 1), std::string::npos) << line;
}

TEST(child_process, a_normal_end_is_reported_as_is) {
  held_signals held;
  child_process c(
      held.loop(),
      {.argv = {"sh", "-c", "exit 3"}, .env = {}, .out = child_process::output::inherit});
  const child_process::ending e = c.wait_for(held, 1000s);
  EXPECT_FALSE(e.timed_out);
  EXPECT_EQ(e.stop_signal, 0);
  EXPECT_TRUE(e.status.exited());
  EXPECT_EQ(e.status.code, 3);
}

TEST(child_process, a_wait_needs_the_loop_the_child_was_started_on) {
  held_signals held;
  brigade::event_loop other;
  child_process c(other, {.argv = {"true"}, .env = {}, .out = child_process::output::inherit});
  EXPECT_THROW(c.wait_for(held, 1000s), std::logic_error);
  EXPECT_TRUE(c.wait().success());
}

}  // namespace
