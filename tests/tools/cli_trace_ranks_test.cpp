// `brigade trace` on several files (the ranks of an MPI run): one merged timeline, an analysis
// per rank with its time waiting for communication, and bad files named.
#include "cli_run.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace {

using namespace brigade_cli_test;
using json = nlohmann::json;

struct rank_file {
  int rank = 0;
  std::string host = "node-a";
  std::uint64_t start_steady_ns = 5'000'000'000;
  std::uint64_t start_system_ns = 1'700'000'000'000'000'000;
  double comm_us = 300;  // one wait, from 100 µs on; the recording lasts 1 ms
};

// A trace as brigade writes it for rank r: main computes for 1 ms; a wait for communication
// begins on main and ends on the "progress" thread (a coroutine resumed elsewhere).
std::string rank_trace(const rank_file& r) {
  const int pid = 100 + r.rank;
  json events = json::array();
  events.push_back({{"ph", "M"},
                    {"name", "process_name"},
                    {"pid", pid},
                    {"args", {{"name", "rank " + std::to_string(r.rank)}}}});
  events.push_back({{"ph", "M"},
                    {"name", "thread_name"},
                    {"pid", pid},
                    {"tid", 0},
                    {"args", {{"name", "main"}}}});
  events.push_back({{"ph", "M"},
                    {"name", "thread_name"},
                    {"pid", pid},
                    {"tid", 1},
                    {"args", {{"name", "progress"}}}});
  events.push_back({{"ph", "X"},
                    {"cat", "segment"},
                    {"name", "compute"},
                    {"pid", pid},
                    {"tid", 0},
                    {"ts", 0},
                    {"dur", 1000},
                    {"args", {{"segment", 1}}}});
  for (const char* ph : {"b", "e"})
    events.push_back({{"ph", ph},
                      {"cat", "comm"},
                      {"name", "MPI_Recv from rank 1"},
                      {"id", 7},
                      {"pid", pid},
                      {"tid", ph[0] == 'b' ? 0 : 1},
                      {"ts", ph[0] == 'b' ? 100.0 : 100.0 + r.comm_us},
                      {"args", {{"wait", 7}}}});
  const json t = {{"traceEvents", events},
                  {"otherData",
                   {{"producer", "brigade"},
                    {"version", 1},
                    {"duration_ns", 1'000'000},
                    {"start_steady_ns", r.start_steady_ns},
                    {"start_system_ns", r.start_system_ns},
                    {"host", r.host},
                    {"rank", r.rank}}}};
  return t.dump();
}

fs::path write_rank(const fs::path& dir, const rank_file& r) {
  const fs::path p = dir / ("run.rank" + std::to_string(r.rank) + ".json");
  std::ofstream(p, std::ios::binary) << rank_trace(r);
  return p;
}

// Rank 0 and rank 1 (started 0.5 ms later on the same host, waiting 100 µs).
std::pair<fs::path, fs::path> two_ranks(const fs::path& dir, const std::string& host1 = "node-a") {
  const fs::path r0 = write_rank(dir, {.rank = 0});
  const fs::path r1 = write_rank(dir, {.rank = 1,
                                       .host = host1,
                                       .start_steady_ns = 5'000'500'000,
                                       .start_system_ns = 1'700'000'000'000'500'000,
                                       .comm_us = 100});
  return {r0, r1};
}

TEST(cli_trace_ranks, the_text_report_merges_the_ranks_and_gives_each_its_comm_wait) {
  const auto [r0, r1] = two_ranks(scratch());
  const outcome o = run_brigade({"trace", r1.string(), r0.string(), "--width", "80"});
  ASSERT_EQ(o.status, 0) << o.err;
  for (const char* want :
       {"rank 0 main", "rank 1 main", "rank 1 progress", "clocks aligned by steady_clock",
        "rank 0 (", "rank 1 (", "ranks:", "comm waits     1 (300 µs, 30% of the wall time)",
        "comm waits     1 (100 µs, 10% of the wall time)", "waiting for communication"})
    EXPECT_NE(o.out.find(want), std::string::npos) << want << "\n" << o.out;
  // Sorted by rank, whatever order the files came in.
  EXPECT_LT(o.out.find("rank 0 ("), o.out.find("rank 1 (")) << o.out;
}

TEST(cli_trace_ranks, json_lists_the_ranks_with_their_comm_wait) {
  const auto [r0, r1] = two_ranks(scratch());
  const outcome o = run_brigade({"trace", r1.string(), r0.string(), "--json"});
  ASSERT_EQ(o.status, 0) << o.err;
  const json j = json::parse(o.out);
  EXPECT_EQ(j.at("files"), 2);
  EXPECT_EQ(j.at("processes"), 2);
  EXPECT_EQ(j.at("clock_alignment"), "steady");
  const json& ranks = j.at("ranks");
  ASSERT_EQ(ranks.size(), 2U);
  EXPECT_EQ(ranks[0].at("rank"), 0);
  EXPECT_EQ(ranks[0].at("file"), r0.string());
  EXPECT_NEAR(ranks[0].at("wall_seconds").get<double>(), 1e-3, 1e-12);
  EXPECT_NEAR(ranks[0].at("comm_wait_seconds").get<double>(), 300e-6, 1e-12);
  EXPECT_NEAR(ranks[0].at("comm_wait_fraction").get<double>(), 0.3, 1e-9);
  EXPECT_EQ(ranks[0].at("comm_waits"), 1);
  EXPECT_NEAR(ranks[0].at("offset_seconds").get<double>(), 0, 1e-12);
  EXPECT_EQ(ranks[1].at("rank"), 1);
  EXPECT_NEAR(ranks[1].at("comm_wait_seconds").get<double>(), 100e-6, 1e-12);
  EXPECT_NEAR(ranks[1].at("offset_seconds").get<double>(), 500e-6, 1e-12);
  // The merged timeline spans both: rank 1 ends 1.5 ms after rank 0 began.
  EXPECT_NEAR(j.at("wall_seconds").get<double>(), 1.5e-3, 1e-12);
  EXPECT_NEAR(j.at("comm_wait_seconds").get<double>(), 400e-6, 1e-12);
}

TEST(cli_trace_ranks, files_from_different_hosts_align_by_the_wall_clock) {
  const auto [r0, r1] = two_ranks(scratch(), "node-b");
  const outcome o = run_brigade({"trace", r0.string(), r1.string(), "--json"});
  ASSERT_EQ(o.status, 0) << o.err;
  const json j = json::parse(o.out);
  EXPECT_EQ(j.at("clock_alignment"), "system");
  EXPECT_NEAR(j.at("ranks")[1].at("offset_seconds").get<double>(), 500e-6, 1e-12);
}

TEST(cli_trace_ranks, the_html_page_shows_every_rank) {
  const fs::path dir = scratch();
  const auto [r0, r1] = two_ranks(dir);
  const fs::path page = dir / "ranks.html";
  const outcome o = run_brigade({"trace", r0.string(), r1.string(), "--html", page.string()});
  ASSERT_EQ(o.status, 0) << o.err;
  const std::string html = slurp(page);
  EXPECT_NE(html.find("rank 0 main"), std::string::npos);
  EXPECT_NE(html.find("rank 1 progress"), std::string::npos);
  EXPECT_NE(html.find("class=\"comm\""), std::string::npos);
}

TEST(cli_trace_ranks, one_file_with_comm_waits_adds_one_line) {
  const fs::path r0 = write_rank(scratch(), {.rank = 0});
  const outcome o = run_brigade({"trace", r0.string(), "--width", "80"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("comm waits     1 (300 µs, 30% of the wall time)"), std::string::npos)
      << o.out;
  EXPECT_EQ(o.out.find("ranks:"), std::string::npos) << o.out;  // one file: today's report
  const outcome j = run_brigade({"trace", r0.string(), "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  EXPECT_NEAR(json::parse(j.out).at("comm_wait_seconds").get<double>(), 300e-6, 1e-12);
}

TEST(cli_trace_ranks, a_missing_or_broken_file_is_named_in_one_line) {
  const fs::path dir = scratch();
  const auto [r0, r1] = two_ranks(dir);
  const fs::path missing = dir / "run.rank2.json";
  expect_one_line_error(run_brigade({"trace", r0.string(), missing.string()}), missing.string());
  const fs::path broken = dir / "run.rank3.json";
  std::ofstream(broken) << "{\"traceEvents\": [";
  expect_one_line_error(run_brigade({"trace", r0.string(), broken.string(), r1.string()}),
                        broken.string());
}

TEST(cli_trace_ranks, predict_with_several_files_is_refused) {
  const auto [r0, r1] = two_ranks(scratch());
  expect_one_line_error(run_brigade({"trace", r0.string(), r1.string(), "--predict", "2"}),
                        "give one trace file");
  expect_one_line_error(run_brigade({"trace", r0.string(), r1.string(), "--what-if", "x=0.5"}),
                        "give one trace file");
}

}  // namespace
