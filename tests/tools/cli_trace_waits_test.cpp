// `brigade trace` on waits for another strand's signal (semaphores, latches, barriers, channels,
// select): a line and a table by what was awaited in the text, a glyph on the timeline, a colour
// in the page, fields in --json.
#include "cli_run.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace {

using namespace brigade_cli_test;
using json = nlohmann::json;

// main computes for 1 ms; a coroutine suspended on main for a channel's value from 100 µs to
// 400 µs and resumed on "loop 1"; main then waits for a semaphore from 500 to 600 µs.
std::string trace_with_sync_waits() {
  json events = json::array();
  for (int tid : {0, 1})
    events.push_back({{"ph", "M"},
                      {"name", "thread_name"},
                      {"pid", 1},
                      {"tid", tid},
                      {"args", {{"name", tid == 0 ? "main" : "loop 1"}}}});
  events.push_back({{"ph", "X"},
                    {"cat", "segment"},
                    {"name", "compute"},
                    {"pid", 1},
                    {"tid", 0},
                    {"ts", 0},
                    {"dur", 1000},
                    {"args", {{"segment", 1}}}});
  auto wait = [&](int id, const char* what, int begin_tid, double begin, int end_tid, double end) {
    for (const char* ph : {"b", "e"})
      events.push_back({{"ph", ph},
                        {"cat", "sync"},
                        {"name", what},
                        {"id", id},
                        {"pid", 1},
                        {"tid", ph[0] == 'b' ? begin_tid : end_tid},
                        {"ts", ph[0] == 'b' ? begin : end},
                        {"args", {{"wait", id}}}});
  };
  wait(7, "channel receive", 0, 100, 1, 400);
  wait(8, "semaphore", 0, 500, 0, 600);
  const json t = {
      {"traceEvents", events},
      {"otherData", {{"producer", "brigade"}, {"version", 1}, {"duration_ns", 1'000'000}}}};
  return t.dump();
}

TEST(cli_trace_waits, signals_waited_for_are_reported_by_what) {
  const fs::path p = write_file(trace_with_sync_waits());
  const fs::path page = p.parent_path() / "waits.html";
  const outcome o = run_brigade({"trace", p.string(), "--width", "80", "--html", page.string()});
  ASSERT_EQ(o.status, 0) << o.err;
  for (const char* text :
       {"sync waits     2 (400 µs)", "channel receive: 1 waits, 300 µs in all, longest 300 µs",
        "semaphore: 1 waits, 100 µs in all, longest 100 µs", "waiting for signals 400 µs",
        "- waiting for a signal"})
    EXPECT_NE(o.out.find(text), std::string::npos) << text << "\n" << o.out;
  EXPECT_NE(slurp(page).find("class=\"sync\""), std::string::npos);

  const outcome j = run_brigade({"trace", p.string(), "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  const json r = json::parse(j.out);
  EXPECT_EQ(r.at("sync_waits"), 2);
  EXPECT_NEAR(r.at("sync_wait_seconds").get<double>(), 400e-6, 1e-12);
  ASSERT_EQ(r.at("sync_waited_for").size(), 2U);
  EXPECT_EQ(r.at("sync_waited_for")[0].at("what"), "channel receive");
  EXPECT_NEAR(r.at("sync_waited_for")[0].at("longest_seconds").get<double>(), 300e-6, 1e-12);
  EXPECT_NEAR(r.at("lanes")[0].at("sync_wait_seconds").get<double>(), 400e-6, 1e-12);
}

}  // namespace
