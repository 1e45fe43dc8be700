// A failed write of brigade's output (stdout, or a file it was asked to write) fails the command.
#include "cli_run.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace brigade_cli_test;

// /dev/full: every write fails with ENOSPC, as on a full disk.
constexpr const char* full = "/dev/full";

// A trace to draw, written by `brigade kitchen` (once for all tests of this file).
const fs::path& kitchen_dir() {
  static const fs::path dir = [] {
    const fs::path d = scratch();
    const outcome o = run_brigade({"kitchen", "--dishes", "1", "--cpu-ms", "1", "--wait-ms", "1",
                                   "--json", "--out", d.string()});
    EXPECT_EQ(o.status, 0) << o.err;
    return d;
  }();
  return dir;
}

fs::path fake_bench() {
  const fs::path fake = scratch() / "fake_bench";
  {
    std::ofstream s(fake);
    s << "#!/bin/sh\n"
         "echo '{\"workload\":\"fib\",\"impl\":\"brigade\",\"threads\":1,\"median_seconds\":0.5}'\n"
         "echo 'the table'\n";
  }
  fs::permissions(fake, fs::perms::owner_all);
  return fake;
}

TEST(cli_output, a_failed_write_to_stdout_fails_every_subcommand) {
  const std::string trace = (kitchen_dir() / "team.json").string();
  const std::string fake = fake_bench().string();
  const std::vector<std::vector<std::string>> commands = {
      {"--help"},
      {"trace", trace, "--width", "60"},
      {"trace", trace, "--json"},
      {"kitchen", "--dishes", "1", "--cpu-ms", "1", "--wait-ms", "1", "--out",
       (scratch() / "k").string()},
      {"kitchen", "--dishes", "1", "--cpu-ms", "1", "--wait-ms", "1", "--json", "--out",
       (scratch() / "k").string()},
      {"scale", "--max-threads", "1", "--reps", "1", "--", "true"},
      {"scale", "--max-threads", "1", "--reps", "1", "--json", "--", "true"},
      {"bench", "--bench-binary", fake},
      {"bench", "--bench-binary", fake, "--json"},
  };
  for (const std::vector<std::string>& args : commands) {
    SCOPED_TRACE(args[0] + (args.size() > 1 ? " " + args[1] : ""));
    // Passed before: each exited 0 with its output lost.
    const outcome o = run_brigade(args, stdout_to(full));
    expect_error_after_progress(o, "cannot write to standard output");
  }
}

TEST(cli_output, a_failed_write_of_a_named_file_fails_the_command) {
  const std::string trace = (kitchen_dir() / "team.json").string();
  expect_one_line_error(run_brigade({"trace", trace, "--html", full}), full);
  expect_error_after_progress(
      run_brigade({"scale", "--max-threads", "1", "--reps", "1", "--svg", full, "--", "true"}),
      full);
  // kitchen --out: a trace file it writes there that cannot be written.
  const fs::path out = scratch();
  fs::create_symlink(full, out / "sequential.json");
  expect_error_after_progress(run_brigade({"kitchen", "--dishes", "1", "--cpu-ms", "1", "--wait-ms",
                                           "1", "--json", "--out", out.string()}),
                              "sequential.json");
}

}  // namespace
