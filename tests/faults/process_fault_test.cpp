// Faults a whole program meets: a trace file that cannot be written (in code and through
// BRIGADE_TRACE), and a kernel that refuses io_uring (a seccomp filter the child sets on itself).
#include "child.hpp"

#include <brigade/par/parallel_for.hpp>
#include <brigade/trace/trace.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace {

using brigade::testing::child_options;
using brigade::testing::run_child;

const std::string child = BRIGADE_FAULT_CHILD;

std::size_t lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

void some_pool_work() {
  std::vector<int> v(1000);
  brigade::parallel_for(0, v.size(), [&](std::size_t i) { v[i] = static_cast<int>(i); });
}

// /dev/full: every write fails with ENOSPC, as on a full disk.
TEST(trace_fault, stop_and_flush_to_a_full_disk_throw_a_system_error_naming_the_path) {
  try {
    brigade::trace::start();
  } catch (const std::logic_error& e) {
    GTEST_SKIP() << "built without tracing: " << e.what();
  }
  some_pool_work();
  try {
    (void)brigade::trace::flush("/dev/full");
    ADD_FAILURE() << "flush to /dev/full did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOSPC) << e.what();
    EXPECT_NE(std::string(e.what()).find("/dev/full"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(brigade::trace::enabled());  // a failed flush leaves the recording going
  some_pool_work();
  try {
    (void)brigade::trace::stop("/dev/full");
    ADD_FAILURE() << "stop to /dev/full did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOSPC) << e.what();
  }
  EXPECT_FALSE(brigade::trace::enabled());  // stopped all the same
  some_pool_work();                         // and the pool is unharmed
}

TEST(trace_fault, a_trace_that_cannot_be_written_at_exit_leaves_the_exit_status_alone) {
  for (const char* code : {"0", "3"}) {
    const auto r = run_child({child, "pool-work", code}, {.env = {"BRIGADE_TRACE=/dev/full"}});
    EXPECT_EQ(r.status, std::stoi(code)) << r.err;
    EXPECT_EQ(r.out, "sum 499500\n");
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("brigade: could not write the trace: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("/dev/full"), std::string::npos) << r.err;
  }
}

// A path that cannot even be opened is refused at start-up, before the work (a run the user
// meant to trace is not wasted): one line, exit status 2.
TEST(trace_fault, a_trace_path_in_a_missing_directory_stops_the_program_at_start) {
  const auto r = run_child({child, "pool-work", "0"},
                           {.env = {"BRIGADE_TRACE=/nonexistent-brigade-dir/run.json"}});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("BRIGADE_TRACE=\"/nonexistent-brigade-dir/run.json\" cannot be written"),
            std::string::npos)
      << r.err;
}

TEST(io_uring_fault, refused_by_the_kernel_the_default_falls_back_to_epoll_saying_so_once) {
  const auto r = run_child({child, "loop"}, {.env = {"BRIGADE_IO"}, .refuse_io_uring = true});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "epoll epoll 1\n");
#if BRIGADE_HAVE_LIBURING
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("brigade: io_uring is not available here", 0), 0u) << r.err;
#else
  EXPECT_EQ(r.err, "");  // built without liburing: epoll is no fallback
#endif
}

TEST(io_uring_fault, refused_by_the_kernel_a_forced_io_uring_fails_clearly) {
  const auto r = run_child({child, "loop"}, {.env = {"BRIGADE_IO=uring"}, .refuse_io_uring = true});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("io_uring was asked for but is not available"), std::string::npos) << r.err;
}

TEST(io_uring_fault, refused_by_the_kernel_a_forced_epoll_says_nothing) {
  const auto r = run_child({child, "loop"}, {.env = {"BRIGADE_IO=epoll"}, .refuse_io_uring = true});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "epoll epoll 1\n");
  EXPECT_EQ(r.err, "");
}

}  // namespace
