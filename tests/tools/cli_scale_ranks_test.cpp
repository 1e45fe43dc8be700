// `brigade scale --ranks`: strong scaling over MPI rank counts, driven through a fake mpirun
// (a script that records -np R and runs the command), and once through a real one when the
// machine has it.
#include "cli_run.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace brigade_cli_test;
using json = nlohmann::json;

// A fake mpirun: logs every argument before -np R, then R, then runs the command.
struct fake_mpirun {
  fs::path script, log;
};

fake_mpirun make_fake_mpirun() {
  const fs::path dir = scratch();
  fake_mpirun f{dir / "mpirun", dir / "calls.log"};
  std::ofstream(f.script) << "#!/bin/sh\n"
                             "while [ \"$#\" -gt 0 ]; do\n"
                             "  if [ \"$1\" = -np ]; then\n"
                             "    echo \"np $2\" >> '"
                          << f.log.string()
                          << "'; shift 2; break\n"
                             "  fi\n"
                             "  echo \"arg $1\" >> '"
                          << f.log.string()
                          << "'; shift\n"
                             "done\n"
                             "exec \"$@\"\n";
  chmod(f.script.c_str(), 0755);
  return f;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(cli_scale_ranks, runs_mpirun_at_each_rank_count_and_reports_speedup_and_efficiency) {
  const fake_mpirun f = make_fake_mpirun();
  const outcome o = run_brigade({"scale", "--ranks", "2,1", "--reps", "2", "--mpirun",
                                 f.script.string(), "--json", "--", "/bin/true"});
  ASSERT_EQ(o.status, 0) << o.err;
  const json j = json::parse(o.out);
  EXPECT_EQ(j.at("ranks"), json::array({1, 2}));
  EXPECT_EQ(j.at("mpirun"), f.script.string());
  ASSERT_EQ(j.at("speedup").size(), 2U);
  EXPECT_DOUBLE_EQ(j.at("speedup")[0].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j.at("efficiency")[0].get<double>(), 1.0);
  EXPECT_GT(j.at("efficiency")[1].get<double>(), 0);
  EXPECT_EQ(j.at("predicted")[0].count("ranks"), 1U);
  std::vector<std::string> np;
  for (const std::string& l : lines(slurp(f.log)))
    if (l.rfind("np ", 0) == 0) np.push_back(l);
  EXPECT_EQ(np, (std::vector<std::string>{"np 1", "np 1", "np 2", "np 2"}));
}

TEST(cli_scale_ranks, the_text_table_counts_ranks) {
  const fake_mpirun f = make_fake_mpirun();
  const outcome o = run_brigade(
      {"scale", "--ranks", "1,2", "--reps", "1", "--mpirun", f.script.string(), "--", "/bin/true"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out.rfind("  ranks", 0), 0U) << o.out;
  EXPECT_NE(o.out.find("efficiency"), std::string::npos) << o.out;
}

TEST(cli_scale_ranks, more_ranks_than_cores_oversubscribe_and_mpirun_args_pass_on) {
  const unsigned many = std::max(2U, std::thread::hardware_concurrency()) + 1;
  const fake_mpirun f = make_fake_mpirun();
  const outcome o = run_brigade({"scale", "--ranks", "1," + std::to_string(many), "--reps", "1",
                                 "--mpirun", f.script.string(), "--mpirun-args", "--bind-to none",
                                 "--json", "--", "/bin/true"});
  ASSERT_EQ(o.status, 0) << o.err;
  const std::vector<std::string> calls = lines(slurp(f.log));
  const std::vector<std::string> want{"arg --bind-to",
                                      "arg none",
                                      "np 1",
                                      "arg --oversubscribe",
                                      "arg --bind-to",
                                      "arg none",
                                      "np " + std::to_string(many)};
  EXPECT_EQ(calls, want);
}

TEST(cli_scale_ranks, bad_rank_counts_are_named_in_one_line) {
  const fake_mpirun f = make_fake_mpirun();
  const auto scale = [&](const std::string& ranks) {
    return run_brigade(
        {"scale", "--ranks", ranks, "--mpirun", f.script.string(), "--", "/bin/true"});
  };
  expect_one_line_error(scale("0"), "\"0\" is not a rank count");
  expect_one_line_error(scale("2,x"), "\"x\" is not a rank count");
  expect_one_line_error(scale("-1"), "-1");
  expect_one_line_error(scale("2,4"), "--ranks must include 1");
  EXPECT_FALSE(fs::exists(f.log));  // nothing ran
}

TEST(cli_scale_ranks, ranks_and_max_threads_together_are_refused) {
  expect_one_line_error(
      run_brigade({"scale", "--ranks", "1,2", "--max-threads", "2", "--", "/bin/true"}),
      "--max-threads");
}

TEST(cli_scale_ranks, a_missing_mpirun_is_one_clear_line) {
  expect_one_line_error(run_brigade({"scale", "--ranks", "1,2", "--mpirun",
                                     "brigade-no-such-mpirun", "--", "/bin/true"}),
                        "brigade-no-such-mpirun not found on PATH");
  expect_one_line_error(
      run_brigade({"scale", "--ranks", "1", "--mpirun", "/nonexistent/mpirun", "--", "/bin/true"}),
      "/nonexistent/mpirun: not an executable file");
}

TEST(cli_scale_ranks, a_real_mpirun_runs_each_rank_count) {
  bool found = false;
  std::istringstream dirs(std::getenv("PATH") != nullptr ? std::getenv("PATH") : "");
  for (std::string d; std::getline(dirs, d, ':');)
    found = found || access((fs::path(d) / "mpirun").c_str(), X_OK) == 0;
  if (!found) GTEST_SKIP() << "no mpirun on PATH";
  // brigade sets these itself when it runs as root; set here too for a run under sudo -E.
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  const outcome o =
      run_brigade({"scale", "--ranks", "1,2", "--reps", "1", "--json", "--", "/bin/true"});
  ASSERT_EQ(o.status, 0) << o.err;
  const json j = json::parse(o.out);
  EXPECT_EQ(j.at("ranks"), json::array({1, 2}));
  EXPECT_EQ(j.at("seconds").size(), 2U);
}

}  // namespace
