// Traces of the ranks of a multi-process run: set_rank's file names and metadata, waits for
// communication recorded across threads, and several rank files merged and analysed.
#include <brigade/trace/trace.hpp>
#include <brigade/trace_tools/analysis.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace tr = brigade::trace;
namespace hooks = brigade::detail::tracing;
namespace fs = std::filesystem;

TEST(trace_rank, ranked_path_inserts_the_rank_before_the_extension) {
  EXPECT_EQ(tr::ranked_path("run.json", 0), "run.rank0.json");
  EXPECT_EQ(tr::ranked_path("run", 3), "run.rank3");
  EXPECT_EQ(tr::ranked_path("dir.x/run", 12), "dir.x/run.rank12");
  EXPECT_EQ(tr::ranked_path("/tmp/a.b/run.trace.json", 1), "/tmp/a.b/run.trace.rank1.json");
  EXPECT_EQ(tr::ranked_path(".trace", 2), ".trace.rank2");  // a leading dot is no extension
  EXPECT_EQ(tr::ranked_path("run.json", -1), "run.json");
}

TEST(trace_rank, a_negative_rank_is_refused_naming_it) {
  try {
    tr::set_rank(-7);
    FAIL() << "set_rank(-7) was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("-7"), std::string::npos) << e.what();
  }
  EXPECT_EQ(tr::rank(), -1);
}

fs::path scratch_dir() {
  std::string pattern = (fs::path(testing::TempDir()) / "brigade-rank-XXXXXX").string();
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

// Records as rank `rank` of a run: a segment, and a wait for communication that begins on this
// thread and ends on another (as a coroutine resumed elsewhere). set_rank holds for the rest of
// the process, so this runs in a child process (a death test that exits 0 once the file is
// written).
[[noreturn]] void record_as_rank(int rank, const std::string& base) {
  tr::start();
  tr::set_rank(rank);
  const std::uint64_t wait = hooks::new_segment_id();
  hooks::record(hooks::kind::comm_wait_begin, wait, 0, "MPI_Recv from rank 1");
  std::thread([wait] {
    hooks::name_thread("progress");
    hooks::record(hooks::kind::comm_wait_end, wait, 0, nullptr);
  }).join();
  hooks::begin_segment("compute");
  hooks::end_segment();
  tr::stop(base);
  std::exit(0);
}

// Each file is written by a child process ("threadsafe" death tests: a fresh exec, no fork of
// a process with threads), which runs the test from its start again: the directory is passed to
// it in the environment, so that parent and child agree on it.
class trace_rank_files : public testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    if (const char* d = std::getenv(dir_variable)) {
      dir_ = d;  // the child
    } else {
      dir_ = scratch_dir();
      setenv(dir_variable, dir_.c_str(), 1);
    }
  }
  void TearDown() override { unsetenv(dir_variable); }  // the parent (a child never gets here)
  static constexpr const char* dir_variable = "BRIGADE_TRACE_RANK_TEST_DIR";
  fs::path dir_;
};

TEST_F(trace_rank_files, set_rank_names_the_file_and_records_the_rank) {
  const fs::path dir = dir_;
  const std::string base = (dir / "run.json").string();
  EXPECT_EXIT(record_as_rank(3, base), testing::ExitedWithCode(0), "");
  EXPECT_FALSE(fs::exists(base));
  const fs::path ranked = dir / "run.rank3.json";
  ASSERT_TRUE(fs::exists(ranked));

  std::ifstream in(ranked);
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("otherData").at("rank"), 3);
  EXPECT_GT(j.at("otherData").at("start_steady_ns").get<std::uint64_t>(), 0U);
  EXPECT_GT(j.at("otherData").at("start_system_ns").get<std::uint64_t>(), 0U);
  bool named = false;
  int comm_begin_tid = -1, comm_end_tid = -1;
  for (const auto& e : j.at("traceEvents")) {
    if (e.at("ph") == "M" && e.at("name") == "process_name") {
      EXPECT_EQ(e.at("args").at("name"), "rank 3");
      named = true;
    }
    if (e.value("cat", "") == "comm") {
      EXPECT_EQ(e.at("name"), "MPI_Recv from rank 1");
      (e.at("ph") == "b" ? comm_begin_tid : comm_end_tid) = e.at("tid").get<int>();
    }
  }
  EXPECT_TRUE(named);
  EXPECT_GE(comm_begin_tid, 0);
  EXPECT_GE(comm_end_tid, 0);
  EXPECT_NE(comm_begin_tid, comm_end_tid);  // the wait ended on the other thread

  const tr::trace_file t = tr::read_trace_file(ranked.string());
  ASSERT_EQ(t.process_info.size(), 1U);
  EXPECT_EQ(t.process_info[0].rank, 3);
  const tr::analysis a = tr::analyse(t);
  EXPECT_EQ(a.comm_waits, 1U);
  EXPECT_GT(a.comm_wait_ns, 0);
  EXPECT_NE(tr::describe(a, t).find("comm waits"), std::string::npos);
}

TEST_F(trace_rank_files, two_ranks_merge_into_one_timeline_aligned_by_the_steady_clock) {
  const fs::path dir = dir_;
  const std::string base = (dir / "run.json").string();
  EXPECT_EXIT(record_as_rank(0, base), testing::ExitedWithCode(0), "");
  EXPECT_EXIT(record_as_rank(1, base), testing::ExitedWithCode(0), "");
  std::vector<tr::trace_file> parts{tr::read_trace_file((dir / "run.rank0.json").string()),
                                    tr::read_trace_file((dir / "run.rank1.json").string())};
  const tr::trace_file t = tr::merge_trace_files(parts);
  EXPECT_EQ(t.processes, 2U);
  EXPECT_EQ(t.alignment, tr::clock_alignment::steady);  // one host
  ASSERT_EQ(t.process_info.size(), 2U);
  EXPECT_EQ(t.process_info[0].offset_ns, 0);  // rank 0 recorded first
  EXPECT_GT(t.process_info[1].offset_ns, 0);
  bool rank1_lane = false;
  for (std::uint32_t l = 0; l < t.lanes.size(); ++l)
    rank1_lane = rank1_lane || tr::lane_title(t, l) == "rank 1 main";
  EXPECT_TRUE(rank1_lane);
  const tr::analysis a = tr::analyse(t);
  EXPECT_EQ(a.comm_waits, 2U);
  EXPECT_EQ(a.processes, 2U);
}

TEST(trace_rank, comm_waits_add_up_per_lane_and_in_all) {
  tr::trace_file t;
  t.lanes = {{0, 1, 0, "main"}, {0, 1, 1, "worker 0"}};
  t.labels = {"MPI_Recv from rank 1", "compute"};
  t.processes = 1;
  t.duration_ns = 1000;
  t.segments.push_back({1, 0, 1, 0, 100});
  t.slices.push_back({tr::trace_slice::kind::comm_wait, 0, 0, 100, 400});
  t.slices.push_back({tr::trace_slice::kind::comm_wait, 1, 0, 200, 300});
  const tr::analysis a = tr::analyse(t);
  EXPECT_EQ(a.comm_waits, 2U);
  EXPECT_EQ(a.comm_wait_ns, 400);
  EXPECT_EQ(a.threads[0].comm_wait_ns, 300);
  EXPECT_EQ(a.threads[1].comm_wait_ns, 100);
  const std::string text = tr::describe(a, t);
  EXPECT_NE(text.find("comm waits     2 (400 ns, 40% of the wall time)"), std::string::npos)
      << text;
}

TEST(trace_rank, a_trace_without_comm_waits_says_nothing_about_them) {
  tr::trace_file t;
  t.lanes = {{0, 1, 0, "main"}};
  t.labels = {"compute"};
  t.processes = 1;
  t.duration_ns = 100;
  t.segments.push_back({1, 0, 0, 0, 100});
  EXPECT_EQ(tr::describe(tr::analyse(t), t).find("comm"), std::string::npos);
}

}  // namespace
