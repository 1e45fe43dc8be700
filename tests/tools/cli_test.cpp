// The built `brigade` binary, run as a child: its JSON output, the traces it writes, its errors.
#include "cli_run.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace brigade_cli_test;
using nlohmann::json;

json parse_stdout(const outcome& o) {
  EXPECT_EQ(o.status, 0) << o.err;
  json j = json::parse(o.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << o.out;
  return j;
}

TEST(cli, help_lists_every_subcommand) {
  const outcome o = run_brigade({"--help"});
  EXPECT_EQ(o.status, 0);
  for (const char* sub : {"kitchen", "trace", "scale", "bench"})
    EXPECT_NE(o.out.find(sub), std::string::npos) << sub;
  for (const char* sub : {"kitchen", "trace", "scale", "bench"})
    EXPECT_EQ(run_brigade({sub, "--help"}).status, 0) << sub;
}

TEST(cli, kitchen_json_has_four_ways_and_writes_their_traces) {
  const fs::path dir = scratch() / "kitchen";
  const json j = parse_stdout(run_brigade({"kitchen", "--dishes", "4", "--json", "--out", dir}));
  EXPECT_EQ(j.at("dishes"), 4);
  const json& ways = j.at("ways");
  ASSERT_EQ(ways.size(), 4U);
  const std::vector<std::string> names{"sequential", "one chef", "team", "brigade"};
  for (std::size_t i = 0; i < 4; ++i) {
    const json& w = ways[i];
    EXPECT_EQ(w.at("way"), names[i]);
    for (const char* field : {"chefs", "wall_seconds", "cpu_seconds", "utilization", "speedup"})
      EXPECT_TRUE(w.at(field).is_number()) << field;
    EXPECT_GT(w.at("wall_seconds").get<double>(), 0);
    const std::string trace = w.at("trace");
    EXPECT_EQ(fs::path(trace).parent_path(), dir);
    EXPECT_GT(fs::file_size(trace), 0U) << trace;
  }
  EXPECT_EQ(ways[0].at("speedup").get<double>(), 1.0);
}

TEST(cli, kitchen_text_shows_table_and_timelines) {
  const outcome o = run_brigade({"kitchen", "--dishes", "2", "--cpu-ms", "2", "--wait-ms", "5",
                                 "--width", "60", "--out", scratch()});
  EXPECT_EQ(o.status, 0) << o.err;
  for (const char* text : {"utilization", "speedup", "one chef:", "brigade:", "chop"})
    EXPECT_NE(o.out.find(text), std::string::npos) << text;
}

TEST(cli, trace_json_of_a_kitchen_trace) {
  const fs::path dir = scratch();
  ASSERT_EQ(run_brigade({"kitchen", "--dishes", "2", "--cpu-ms", "5", "--wait-ms", "10", "--json",
                         "--out", dir})
                .status,
            0);
  const fs::path html = dir / "brigade.html";
  const json j = parse_stdout(
      run_brigade({"trace", (dir / "brigade.json").string(), "--json", "--html", html}));
  for (const char* field :
       {"wall_seconds", "work_seconds", "span_seconds", "parallelism", "threads"})
    EXPECT_TRUE(j.at(field).is_number()) << field;
  EXPECT_GT(j.at("work_seconds").get<double>(), 0);
  EXPECT_GE(j.at("threads").get<std::size_t>(), 2U);  // the loop and the team at least
  EXPECT_EQ(j.at("utilization").size(), j.at("threads").get<std::size_t>());
  EXPECT_NE(slurp(html).find("<svg"), std::string::npos);

  const outcome text = run_brigade({"trace", (dir / "team.json").string(), "--width", "70"});
  EXPECT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("chop"), std::string::npos);
}

// Two cooks as the kitchen's team records them: main (10 µs) hands a chop of 100 µs to each of
// two workers (2 µs later), each stirs after its chop (100 µs and 60 µs), and main plates (10 µs)
// 2 µs after the last stir. Every cross-thread move took 2 µs: the measured burden. Work 380 µs,
// span 222 µs.
fs::path two_cooks_trace(const fs::path& dir) {
  json events = json::array();
  for (int tid : {0, 1, 2})
    events.push_back(
        {{"ph", "M"},
         {"name", "thread_name"},
         {"pid", 1},
         {"tid", tid},
         {"args", {{"name", tid == 0 ? "main" : "worker " + std::to_string(tid - 1)}}}});
  struct segment {
    int id, tid;
    const char* label;
    double ts, dur;
  };
  for (const segment& g : {segment{1, 0, "main", 0, 10}, segment{2, 1, "chop", 12, 100},
                           segment{3, 1, "stir", 112, 100}, segment{4, 2, "chop", 12, 100},
                           segment{5, 2, "stir", 112, 60}, segment{6, 0, "main", 214, 10}})
    events.push_back({{"ph", "X"},
                      {"cat", "segment"},
                      {"name", g.label},
                      {"pid", 1},
                      {"tid", g.tid},
                      {"ts", g.ts},
                      {"dur", g.dur},
                      {"args", {{"segment", g.id}}}});
  const std::pair<int, int> edges[] = {{1, 2}, {2, 3}, {1, 4}, {4, 5}, {3, 6}, {5, 6}};
  const double end_of[] = {0, 10, 112, 212, 112, 172, 224};
  const int tid_of[] = {0, 0, 1, 1, 2, 2, 0};
  const double begin_of[] = {0, 0, 12, 112, 12, 112, 214};
  int id = 0;
  for (auto [from, to] : edges) {
    ++id;
    for (const char* ph : {"s", "f"}) {  // at the end of `from`, at the start of `to`
      const bool start = ph[0] == 's';
      events.push_back({{"ph", ph},
                        {"cat", "edge"},
                        {"name", "edge"},
                        {"pid", 1},
                        {"tid", tid_of[start ? from : to]},
                        {"ts", start ? end_of[from] : begin_of[to]},
                        {"id", id},
                        {"args", {{"from", from}, {"to", to}}}});
    }
  }
  const fs::path p = dir / "two_cooks.json";
  std::ofstream(p) << json{{"traceEvents", events},
                           {"otherData", {{"producer", "brigade"}, {"version", 1}}}}
                          .dump();
  return p;
}

// The greedy replay of a known DAG, exactly; a greedy replay is a list schedule, which can end
// later when parts get shorter (Graham's anomaly), so a recorded trace only gets the bounds that
// hold for every schedule.
TEST(cli, trace_predicts_and_answers_what_if) {
  const std::string trace = two_cooks_trace(scratch()).string();
  const json j = parse_stdout(
      run_brigade({"trace", trace, "--json", "--predict", "1,2,4", "--what-if", "chop=0.5"}));
  EXPECT_NEAR(j.at("burden_seconds").get<double>(), 2e-6, 1e-12);
  // 1 worker: all the work. 2 and 4: main, a chop and a stir on each side, main again once the
  // slower side ends (the plate stays on the worker that ran the last stir: no move, no burden).
  const std::pair<const char*, double> plain[] = {{"1", 380e-6}, {"2", 220e-6}, {"4", 220e-6}};
  const std::pair<const char*, double> halved[] = {{"1", 280e-6}, {"2", 170e-6}, {"4", 170e-6}};
  for (auto [p, seconds] : plain)
    EXPECT_NEAR(j.at("predicted_seconds").at(p).get<double>(), seconds, 1e-12) << p;
  for (auto [p, seconds] : halved)
    EXPECT_NEAR(j.at("what_if").at("predicted_seconds").at(p).get<double>(), seconds, 1e-12) << p;
  EXPECT_EQ(j.at("what_if").at("factors").at("chop").get<double>(), 0.5);

  const outcome text = run_brigade({"trace", trace, "--predict", "2", "--width", "70"});
  EXPECT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("predicted (greedy replay"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("1.73x"), std::string::npos) << text.out;  // over 1 worker: 380 / 220

  const outcome bad = run_brigade({"trace", trace, "--what-if", "no-such-label=0.5"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("no segment is labelled \"no-such-label\""), std::string::npos) << bad.err;
  EXPECT_NE(run_brigade({"trace", trace, "--what-if", "chop=fast"}).status, 0);
  EXPECT_NE(run_brigade({"trace", trace, "--predict", "0"}).status, 0);
}

TEST(cli, trace_predicts_a_recorded_kitchen_within_the_bounds_of_any_schedule) {
  const fs::path dir = scratch() / "recorded";
  ASSERT_EQ(run_brigade({"kitchen", "--dishes", "2", "--cpu-ms", "5", "--wait-ms", "10", "--json",
                         "--out", dir})
                .status,
            0);
  const json j = parse_stdout(run_brigade({"trace", (dir / "team.json").string(), "--json",
                                           "--predict", "1,2,4", "--what-if", "chop=0.5"}));
  const double work = j.at("work_seconds").get<double>();
  for (const auto& [p, workers] : {std::pair{"1", 1.0}, {"2", 2.0}, {"4", 4.0}}) {
    // No schedule on P workers ends before the work spread evenly over them.
    EXPECT_GE(j.at("predicted_seconds").at(p).get<double>() * (1 + 1e-9), work / workers) << p;
    EXPECT_GT(j.at("what_if").at("predicted_seconds").at(p).get<double>(), 0) << p;
  }
  // Each dish waits twice for 10 ms (its loop blocked on a timer): latency no worker shortens.
  EXPECT_GE(j.at("predicted_seconds").at("4").get<double>(), 0.020);
  EXPECT_GE(j.at("what_if").at("predicted_seconds").at("4").get<double>(), 0.020);
  EXPECT_GE(j.at("burden_seconds").get<double>(), 0);
}

TEST(cli, scale_json_at_one_and_two_threads) {
#ifndef BRIGADE_TEAM_OF_CHEFS
  GTEST_SKIP() << "examples are not built";
#else
  const fs::path svg = scratch() / "speedup.svg";
  const json j =
      parse_stdout(run_brigade({"scale", "--max-threads", "2", "--reps", "1", "--json", "--svg",
                                svg, "--", BRIGADE_TEAM_OF_CHEFS, "--size", "64"}));
  EXPECT_EQ(j.at("threads"), json::array({1, 2}));
  for (const char* field : {"seconds", "speedup", "efficiency", "karp_flatt"})
    EXPECT_EQ(j.at(field).size(), 2U) << field;
  EXPECT_TRUE(j.at("karp_flatt")[0].is_null());  // undefined at one thread
  EXPECT_TRUE(j.at("serial_fraction").is_number());
  const std::string picture = slurp(svg);
  EXPECT_EQ(picture.rfind("<svg", 0), 0U);
  EXPECT_NE(picture.find("</svg>"), std::string::npos);
#endif
}

TEST(cli, scale_recovers_a_known_serial_fraction) {
  // known_fraction runs 0.2 s serially, then 0.8 s of pieces split over BRIGADE_THREADS.
  const json j = parse_stdout(run_brigade(
      {"scale", "--max-threads", "2", "--reps", "3", "--json", "--", BRIGADE_KNOWN_FRACTION}));
  ASSERT_TRUE(j.at("serial_fraction").is_number()) << j.dump();
  // The analysis itself, exactly: Karp-Flatt at 2 threads from the measured times.
  const double t1 = j.at("seconds")[0].get<double>();
  const double t2 = j.at("seconds")[1].get<double>();
  const double e = (t2 / t1 - 0.5) / (1 - 0.5);
  EXPECT_NEAR(j.at("karp_flatt")[1].get<double>(), e, 1e-6) << j.dump();
  // And the fraction it recovers. A constant overhead o per run (starting the process and its
  // pool, oversleeping on a loaded machine) reads as serial work: e = (0.6 + o) / (1 + o) * 2
  // - 1, 0.216 for o = 20 ms, 0.238 for 50 ms, so the upper bound allows for a loaded CI host.
  EXPECT_GE(j.at("serial_fraction").get<double>(), 0.18) << j.dump();
  EXPECT_LE(j.at("serial_fraction").get<double>(), 0.26) << j.dump();
  EXPECT_NEAR(j.at("karp_flatt")[1].get<double>(), j.at("serial_fraction").get<double>(), 0.01)
      << j.dump();
}

TEST(cli, bench_runs_the_given_binary_and_collects_its_results) {
  const fs::path fake = scratch() / "fake_bench";
  {
    std::ofstream s(fake);
    s << "#!/bin/sh\n"
         "echo '{\"workload\":\"fib\",\"impl\":\"brigade\",\"threads\":1,\"median_seconds\":0.5,"
         "\"args\":\"'\"$*\"'\"}'\n"
         "echo 'the table'\n";
  }
  fs::permissions(fake, fs::perms::owner_all);
  const json j = parse_stdout(
      run_brigade({"bench", "--bench-binary", fake, "--quick", "--json", "--", "--reps", "1"}));
  ASSERT_EQ(j.size(), 1U);
  EXPECT_EQ(j[0].at("workload"), "fib");
  EXPECT_EQ(j[0].at("args"), "--quick --reps 1");
  const outcome table = run_brigade({"bench", "--bench-binary", fake});
  EXPECT_EQ(table.status, 0);
  EXPECT_NE(table.out.find("the table"), std::string::npos);
}

TEST(cli, bad_input_is_one_line_naming_it) {
  expect_one_line_error(run_brigade({"trace", "/nonexistent/run.json"}), "/nonexistent/run.json");
  const fs::path junk = scratch() / "junk.json";
  std::ofstream(junk) << "{ not json";
  expect_one_line_error(run_brigade({"trace", junk}), junk.string());
  expect_one_line_error(run_brigade({"scale", "--max-threads", "0", "--", "true"}), "0");
  expect_one_line_error(run_brigade({"scale", "--max-threads", "1", "--reps", "1", "--", "false"}),
                        "status 1");
  expect_one_line_error(run_brigade({"scale", "--max-threads", "1", "--", "/no/such/program"}),
                        "/no/such/program");
  expect_one_line_error(run_brigade({"cook"}), "cook");
  expect_one_line_error(run_brigade({"kitchen", "--dishes", "0"}), "0");
  expect_one_line_error(run_brigade({"kitchen", "--chefs", "many"}), "many");
  expect_one_line_error(run_brigade({"bench", "--bench-binary", "/nonexistent/bench"}),
                        "/nonexistent/bench");
}

}  // namespace
