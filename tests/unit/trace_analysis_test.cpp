// Reading traces back, their analysis (work, span, counts), the terminal timeline and the HTML
// page: exact checks on hand-built traces, bounds on recorded ones, clear errors on bad files.
#include <brigade/brigade.hpp>
#include <brigade/trace/trace.hpp>
#include <brigade/trace_tools/analysis.hpp>
#include <brigade/trace_tools/html_page.hpp>
#include <brigade/trace_tools/timeline.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace {

namespace tr = brigade::trace;
using json = nlohmann::json;
using namespace std::chrono_literals;

// A file name of this test process's own (ctest runs cases in parallel processes).
std::string temp_path(const std::string& name) {
  return "/tmp/brigade_trace_analysis_" + std::to_string(::getpid()) + "_" + name;
}

void spin_for(std::chrono::microseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

// A trace built in memory: lanes "main" and "worker 0", and segments with given times.
struct builder {
  tr::trace_file t;
  builder() {
    t.lanes = {{0, 1, 0, "main"}, {0, 1, 1, "worker 0"}};
    t.processes = 1;
  }
  std::uint32_t label(const std::string& name) {
    for (std::uint32_t i = 0; i < t.labels.size(); ++i)
      if (t.labels[i] == name) return i;
    t.labels.push_back(name);
    return static_cast<std::uint32_t>(t.labels.size() - 1);
  }
  builder& seg(std::uint64_t id, std::uint32_t lane, const std::string& name, std::int64_t begin,
               std::int64_t end) {
    t.segments.push_back({id, lane, label(name), begin, end});
    t.duration_ns = std::max(t.duration_ns, end);
    return *this;
  }
  builder& edge(std::uint64_t from, std::uint64_t to) {
    t.edges.push_back({0, from, to});
    return *this;
  }
};

// The diamond a -> {b, c} -> d, with a = 10, b = 30, c = 50, d = 20 ns.
tr::trace_file diamond() {
  builder b;
  b.seg(1, 0, "a", 0, 10).seg(2, 0, "b", 10, 40).seg(3, 1, "c", 12, 62).seg(4, 0, "d", 62, 82);
  b.edge(1, 2).edge(1, 3).edge(2, 4).edge(3, 4);
  return b.t;
}

TEST(trace_analysis, work_and_span_of_a_diamond_are_exact) {
  const tr::analysis a = tr::analyse(diamond());
  EXPECT_EQ(a.work_ns, 110);
  EXPECT_EQ(a.span_ns, 80);  // a + c + d
  EXPECT_DOUBLE_EQ(a.parallelism, 110.0 / 80.0);
  EXPECT_EQ(a.critical_path, (std::vector<std::uint64_t>{1, 3, 4}));
  EXPECT_EQ(a.edges, 4u);
  EXPECT_EQ(a.segments, 4u);
  EXPECT_EQ(a.wall_ns, 82);
  ASSERT_EQ(a.threads.size(), 2u);
  EXPECT_EQ(a.threads[0].busy_ns, 60);
  EXPECT_EQ(a.threads[1].busy_ns, 50);
  EXPECT_EQ(a.threads[0].segments, 3u);
  EXPECT_DOUBLE_EQ(a.threads[1].utilization, 50.0 / 82.0);
  EXPECT_FALSE(a.lower_bounds());
}

TEST(trace_analysis, speedup_bounds_follow_the_work_and_span_laws) {
  const tr::analysis a = tr::analyse(diamond());
  const tr::speedup_limits two = tr::speedup_bound(a, 2);
  EXPECT_DOUBLE_EQ(two.upper, 110.0 / 80.0);  // the span law binds: T1/P = 55 < T∞ = 80
  EXPECT_DOUBLE_EQ(two.greedy, 110.0 / (55.0 + 80.0));
  const tr::speedup_limits one = tr::speedup_bound(a, 0);  // 0 is taken as 1
  EXPECT_EQ(one.cores, 1u);
  EXPECT_DOUBLE_EQ(one.upper, 1.0);
  EXPECT_EQ(tr::speedup_bound(tr::analysis{}, 8).upper, 0.0);
}

TEST(trace_analysis, a_long_chain_is_walked_without_recursion) {
  builder b;
  constexpr std::uint64_t n = 200'000;  // deep enough to overflow a recursive walk's stack
  for (std::uint64_t i = 1; i <= n; ++i) {
    b.seg(i, static_cast<std::uint32_t>(i % 2), "step", static_cast<std::int64_t>(i * 2),
          static_cast<std::int64_t>(i * 2 + 1));
    if (i > 1) b.edge(i - 1, i);
  }
  const tr::analysis a = tr::analyse(b.t);
  EXPECT_EQ(a.work_ns, static_cast<std::int64_t>(n));
  EXPECT_EQ(a.span_ns, static_cast<std::int64_t>(n));
  EXPECT_EQ(a.critical_path.size(), n);
}

TEST(trace_analysis, missing_and_repeated_edges_are_ignored) {
  tr::trace_file t = diamond();
  t.edges.push_back({0, 1, 3});    // repeated
  t.edges.push_back({0, 4, 999});  // to a segment outside the recording
  const tr::analysis a = tr::analyse(t);
  EXPECT_EQ(a.edges, 4u);
  EXPECT_EQ(a.missing_edges, 1u);
  EXPECT_EQ(a.span_ns, 80);
}

TEST(trace_analysis, a_cycle_is_an_error_naming_its_segments) {
  builder b;
  b.seg(1, 0, "a", 0, 1).seg(2, 0, "b", 1, 2).seg(3, 1, "c", 2, 3).seg(4, 1, "d", 3, 4);
  b.edge(4, 1).edge(1, 2).edge(2, 3).edge(3, 1);
  try {
    tr::analyse(b.t);
    FAIL() << "no error for a cycle";
  } catch (const tr::trace_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cycle"), std::string::npos) << what;
    for (const char* s : {"1 (", "2 (", "3 ("}) EXPECT_NE(what.find(s), std::string::npos) << what;
    EXPECT_EQ(what.find("4 ("), std::string::npos) << what;  // d leads into it, is not on it
  }
  builder self;
  self.seg(7, 0, "x", 0, 5).edge(7, 7);
  EXPECT_THROW(tr::analyse(self.t), tr::trace_error);
}

TEST(trace_analysis, a_segment_id_used_twice_is_an_error) {
  builder b;
  b.seg(1, 0, "a", 0, 1).seg(1, 1, "b", 0, 1);
  EXPECT_THROW(tr::analyse(b.t), tr::trace_error);
}

TEST(trace_analysis, an_empty_trace_analyses_to_zeros) {
  const tr::analysis a = tr::analyse(tr::trace_file{});
  EXPECT_EQ(a.work_ns, 0);
  EXPECT_EQ(a.span_ns, 0);
  EXPECT_EQ(a.parallelism, 0.0);
  EXPECT_TRUE(a.critical_path.empty());
  EXPECT_NO_THROW(tr::describe(a, tr::trace_file{}));
  EXPECT_NE(tr::draw_timeline(tr::trace_file{}).find("empty"), std::string::npos);
}

TEST(trace_analysis, durations_read_in_their_best_unit) {
  EXPECT_EQ(tr::format_duration(12), "12 ns");
  EXPECT_EQ(tr::format_duration(1234), "1.23 µs");
  EXPECT_EQ(tr::format_duration(456'000), "456 µs");
  EXPECT_EQ(tr::format_duration(1'234'567), "1.23 ms");
  EXPECT_EQ(tr::format_duration(2'500'000'000), "2.50 s");
  EXPECT_EQ(tr::format_duration(999'999), "1.00 ms");
  EXPECT_EQ(tr::format_duration(-1500), "-1.50 µs");
}

// A brigade trace written by hand, as chrome_writer writes it.
json hand_written_trace(std::uint64_t dropped) {
  json events = json::array();
  auto meta = [&](int tid, const char* name) {
    events.push_back({{"ph", "M"},
                      {"name", "thread_name"},
                      {"pid", 7},
                      {"tid", tid},
                      {"args", {{"name", name}}}});
  };
  auto seg = [&](int tid, const char* name, double ts, double dur, std::uint64_t id) {
    events.push_back({{"ph", "X"},
                      {"cat", "segment"},
                      {"name", name},
                      {"pid", 7},
                      {"tid", tid},
                      {"ts", ts},
                      {"dur", dur},
                      {"args", {{"segment", id}}}});
  };
  auto slice = [&](const char* cat, int tid, const char* name, double ts, double dur) {
    events.push_back({{"ph", "X"},
                      {"cat", cat},
                      {"name", name},
                      {"pid", 7},
                      {"tid", tid},
                      {"ts", ts},
                      {"dur", dur}});
  };
  auto edge = [&](std::uint64_t from, std::uint64_t to, int id) {
    for (const char* ph : {"s", "f"})
      events.push_back({{"ph", ph},
                        {"cat", "edge"},
                        {"name", "edge"},
                        {"id", id},
                        {"pid", 7},
                        {"tid", 0},
                        {"ts", 0},
                        {"args", {{"from", from}, {"to", to}}}});
  };
  auto instant = [&](const char* name, int tid, double ts, const char* arg, std::uint64_t v) {
    events.push_back({{"ph", "i"},
                      {"s", "t"},
                      {"cat", "event"},
                      {"name", name},
                      {"pid", 7},
                      {"tid", tid},
                      {"ts", ts},
                      {"args", {{arg, v}}}});
  };
  meta(0, "main");
  meta(1, "worker 0");
  meta(2, "worker 1");
  seg(0, "main", 0.0, 100.0, 1);      // serial part of the root strand: 100 µs
  seg(1, "left", 100.5, 300.0, 2);    // 300 µs
  seg(2, "right", 101.25, 200.0, 3);  // 200 µs
  seg(0, "main", 401.0, 50.0, 4);     // after both: 50 µs
  edge(1, 2, 1);
  edge(1, 3, 2);
  edge(2, 4, 3);
  edge(3, 4, 4);
  slice("idle", 2, "parked", 301.25, 99.0);
  slice("lock", 1, "the big lock", 90.0, 10.0);
  slice("lock", 2, "the big lock", 95.0, 6.0);
  slice("idle", 0, "waiting for I/O", 100.0, 301.0);
  instant("steal", 2, 101.0, "victim", 0);
  instant("loop lag", 0, 20.0, "ns", 5000);
  instant("loop lag", 0, 30.0, "ns", 7000);
  instant("timer", 0, 40.0, "late_ns", 300);
  return {{"displayTimeUnit", "ns"},
          {"traceEvents", events},
          {"otherData",
           {{"producer", "brigade"},
            {"version", 1},
            {"dropped_events", dropped},
            {"threads", 3},
            {"duration_ns", 460'000}}}};
}

TEST(trace_analysis, a_hand_written_file_reads_back_exactly) {
  const tr::trace_file t = tr::parse_trace_file(hand_written_trace(0).dump(), "hand.json");
  ASSERT_EQ(t.lanes.size(), 3u);
  EXPECT_EQ(t.lanes[1].name, "worker 0");
  EXPECT_EQ(t.segments.size(), 4u);
  EXPECT_EQ(t.edges.size(), 4u);  // each written twice (s and f), read once
  EXPECT_EQ(t.duration_ns, 460'000);
  const tr::analysis a = tr::analyse(t);
  EXPECT_EQ(a.work_ns, 650'000);
  EXPECT_EQ(a.span_ns, 450'000);  // main, left, main
  EXPECT_EQ(a.critical_path, (std::vector<std::uint64_t>{1, 2, 4}));
  EXPECT_EQ(a.steals, 1u);
  EXPECT_EQ(a.parks, 1u);
  EXPECT_EQ(a.parked_ns, 99'000);
  EXPECT_EQ(a.io_waits, 1u);
  EXPECT_EQ(a.lock_waits, 2u);
  EXPECT_EQ(a.lock_wait_ns, 16'000);
  ASSERT_EQ(a.locks.size(), 1u);
  EXPECT_EQ(t.labels[a.locks[0].label], "the big lock");
  EXPECT_EQ(a.locks[0].max_wait_ns, 10'000);
  EXPECT_EQ(a.loop_lags, 2u);
  EXPECT_EQ(a.max_loop_lag_ns, 7000);
  EXPECT_EQ(a.timers, 1u);
  EXPECT_EQ(a.max_timer_late_ns, 300);
  const std::string report = tr::describe(a, t);
  for (const char* fact : {"work (T1)", "650 µs", "450 µs", "parallelism", "1.44", "speedup",
                           "worker 1", "steals", "the big lock", "loop lag"})
    EXPECT_NE(report.find(fact), std::string::npos) << fact << "\n" << report;
  EXPECT_EQ(report.find("lower bound"), std::string::npos) << report;
}

TEST(trace_analysis, dropped_events_make_work_and_span_lower_bounds) {
  const tr::trace_file t = tr::parse_trace_file(hand_written_trace(12).dump(), "hand.json");
  const tr::analysis a = tr::analyse(t);
  EXPECT_TRUE(a.lower_bounds());
  EXPECT_EQ(a.dropped_events, 12u);
  const std::string report = tr::describe(a, t);
  EXPECT_NE(report.find("12 events were dropped"), std::string::npos) << report;
  EXPECT_NE(report.find("lower bounds"), std::string::npos) << report;
}

TEST(trace_analysis, a_recording_with_full_buffers_is_flagged) {
  const std::string path = temp_path("dropped.json");
  brigade::detail::tracing::set_buffer_capacity(64);
  brigade::pool p(1);
  tr::start();
  p.run([] {
    for (int i = 0; i < 200; ++i) brigade::join([] {}, [] {});
  });
  tr::stop(path);
  brigade::detail::tracing::set_buffer_capacity(1 << 18);
  const tr::trace_file t = tr::read_trace_file(path);
  const tr::analysis a = tr::analyse(t);
  EXPECT_TRUE(a.lower_bounds());
  EXPECT_NE(tr::describe(a, t).find("lower bounds"), std::string::npos);
  std::remove(path.c_str());
}

void expect_trace_error(const std::string& text, const std::string& expected) {
  try {
    tr::parse_trace_file(text, "bad.json");
    ADD_FAILURE() << "no error for: " << text.substr(0, 80);
  } catch (const tr::trace_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("bad.json: ", 0), 0u) << what;  // names the file first
    EXPECT_NE(what.find(expected), std::string::npos) << what;
  }
}

TEST(trace_analysis, bad_files_are_trace_errors_naming_file_and_problem) {
  expect_trace_error("", "empty");
  expect_trace_error("hello", "line 1, column 1");
  expect_trace_error("{\"traceEvents\": [}\n", "line 1");
  expect_trace_error("{\n  \"traceEvents\": [],\n  \"otherData\" 1}", "line 3, column 15");
  expect_trace_error("[]", "not a brigade trace");
  expect_trace_error("{\"traceEvents\": []}", "otherData");
  expect_trace_error("{\"traceEvents\": 3, \"otherData\": {}}", "traceEvents");
  expect_trace_error(R"({"traceEvents": [], "otherData": {"producer": "chrome"}})",
                     "not \"brigade\"");
  expect_trace_error(R"({"traceEvents": [], "otherData": {"producer": "brigade", "version": 9}})",
                     "version");
  expect_trace_error(R"({"traceEvents": [{"ph": "X", "cat": "segment", "pid": 1, "tid": 0,
      "ts": 1, "dur": 2}], "otherData": {"producer": "brigade", "version": 1}})",
                     "args.segment");
  expect_trace_error(R"({"traceEvents": [{"ph": "X", "cat": "segment", "pid": 1, "tid": 0,
      "ts": "soon", "dur": 2, "args": {"segment": 1}}]})",
                     "\"ts\"");
  expect_trace_error("{\"traceEvents\": [" + std::string(100'000, '[') + "]}", "nested deeper");
  expect_trace_error("{\"traceEvents\": [], \"otherData\": {}} trailing", "after the JSON");
}

// Ids and times too large for a double's 53 bits come back exactly: integers are read as
// integers, and microseconds with decimals from their literal. Members that are containers
// where a scalar belongs, and keys the reader does not know, are passed over.
TEST(trace_analysis, large_ids_and_times_read_back_exactly) {
  const std::string text = R"({"traceEvents": [
      {"ph": "X", "cat": "segment", "name": "big", "pid": 1, "tid": 0,
       "ts": 9007199254740.993, "dur": 2, "args": {"segment": 18446744073709551615,
       "extra": [1, {"x": null}]}, "unknown": {"deep": [[]]}},
      {"ph": "X", "cat": "segment", "name": "first", "pid": 1, "tid": 0, "ts": 0, "dur": 1,
       "args": {"segment": 9007199254740993}}],
    "otherData": {"producer": "brigade", "version": 1, "dropped_events": 0,
                  "notes": ["ignored"]}})";
  const tr::trace_file t = tr::parse_trace_file(text, "big.json");
  ASSERT_EQ(t.segments.size(), 2u);
  EXPECT_EQ(t.segments[0].id, 9007199254740993u);
  EXPECT_EQ(t.segments[1].id, 18446744073709551615u);
  EXPECT_EQ(t.segments[1].begin_ns, 9'007'199'254'740'993);
  EXPECT_EQ(t.segments[1].end_ns, 9'007'199'254'742'993);
}

TEST(trace_analysis, every_truncation_of_a_file_is_an_error_not_a_crash) {
  const std::string text = hand_written_trace(0).dump();
  for (std::size_t n = 0; n < text.size(); n += 7)
    EXPECT_THROW(tr::parse_trace_file(std::string_view(text).substr(0, n), "cut.json"),
                 tr::trace_error)
        << n;
  EXPECT_NO_THROW(tr::parse_trace_file(text, "whole.json"));
}

TEST(trace_analysis, absurd_times_saturate_instead_of_overflowing) {
  std::string events;
  for (int i = 1; i <= 3; ++i)
    events += std::string(i > 1 ? "," : "") +
              R"({"ph":"X","cat":"segment","name":"huge","pid":1,"tid":0,"ts":4e15,"dur":4e15,)" +
              R"("args":{"segment":)" + std::to_string(i) + "}}";
  const std::string text =
      "{\"traceEvents\":[" + events + R"(],"otherData":{"producer":"brigade","version":1}})";
  const tr::trace_file t = tr::parse_trace_file(text, "huge.json");
  const tr::analysis a = tr::analyse(t);
  EXPECT_EQ(a.work_ns, INT64_MAX);
  EXPECT_EQ(a.span_ns, 4'000'000'000'000'000'000);
  EXPECT_NO_THROW(tr::draw_timeline(t));
  EXPECT_NO_THROW(tr::html_page(t, a));
  expect_trace_error(R"({"traceEvents":[{"ph":"X","cat":"segment","pid":1,"tid":0,"ts":1e300,)"
                     R"("dur":1,"args":{"segment":1}}]})",
                     "out of range");

  builder b;  // in memory, any times at all
  b.seg(1, 0, "a", INT64_MIN, INT64_MAX).seg(2, 1, "b", INT64_MIN, INT64_MAX).edge(1, 2);
  const tr::analysis c = tr::analyse(b.t);
  EXPECT_EQ(c.work_ns, INT64_MAX);
  EXPECT_EQ(c.span_ns, INT64_MAX);
  EXPECT_NO_THROW(tr::draw_timeline(b.t));
  EXPECT_NO_THROW(tr::html_page(b.t, c));
}

TEST(trace_analysis, merged_recordings_keep_their_segment_ids_apart) {
  std::vector<tr::trace_file> parts{diamond(), diamond()};
  const tr::trace_file t = tr::merge_trace_files(std::move(parts));
  EXPECT_EQ(t.processes, 2u);
  EXPECT_EQ(t.lanes.size(), 4u);
  const tr::analysis a = tr::analyse(t);  // the same ids in two processes are no error
  EXPECT_EQ(a.work_ns, 220);
  EXPECT_EQ(a.span_ns, 80);
  EXPECT_EQ(a.edges, 8u);
  EXPECT_NE(tr::describe(a, t).find("processes"), std::string::npos);
  EXPECT_NE(tr::draw_timeline(t).find("pid 1 worker 0"), std::string::npos);
}

TEST(trace_analysis, unreadable_paths_are_system_errors_naming_the_path) {
  try {
    tr::read_trace_file("/nonexistent-dir/run.json");
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/run.json"), std::string::npos);
  }
  EXPECT_THROW(tr::read_trace_file("/tmp"), std::system_error);
}

TEST(trace_analysis, endless_and_oversized_inputs_are_refused_without_reading_them_whole) {
  try {
    tr::read_trace_file("/dev/zero");  // endless: refused before a byte is read
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/zero: a character device"), std::string::npos)
        << e.what();
  }
  const std::string path = temp_path("big.json");
  std::ofstream(path) << std::string(200, ' ');
  try {
    tr::read_trace_file(path, 100);
    FAIL();
  } catch (const std::length_error& e) {
    EXPECT_NE(std::string(e.what()).find("limit of 100 bytes"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(trace_analysis, a_recorded_join_has_work_at_least_its_spins_and_span_at_most_work) {
  brigade::pool p(2);
  const std::string path = temp_path("join.json");
  tr::start();
  p.run([] {
    brigade::join(tr::named("left", [] { spin_for(2ms); }),
                  tr::named("right", [] { spin_for(2ms); }));
  });
  tr::stop(path);
  const tr::trace_file t = tr::read_trace_file(path);
  const tr::analysis a = tr::analyse(t);
  EXPECT_GE(a.work_ns, 4'000'000);
  EXPECT_GE(a.span_ns, 2'000'000);
  EXPECT_LE(a.span_ns, a.work_ns);
  EXPECT_LE(a.span_ns, a.wall_ns);  // the path's segments ran one after another
  EXPECT_EQ(a.missing_edges, 0u);
  std::remove(path.c_str());
}

TEST(trace_analysis, the_main_strands_serial_part_counts_as_work_and_span) {
  brigade::pool p(2);
  const std::string path = temp_path("serial_then_parallel.json");
  tr::start();
  spin_for(3ms);  // serial: the root strand before the first parallel region
  brigade::parallel_for(0, 8, [](std::size_t) { spin_for(500us); }, {.grain = 1, .pool = &p});
  tr::stop(path);
  const tr::trace_file t = tr::read_trace_file(path);
  const tr::analysis a = tr::analyse(t);
  EXPECT_GE(a.work_ns, 3'000'000 + 8 * 500'000);
  EXPECT_GE(a.span_ns, 3'000'000 + 500'000);  // the serial part, then at least one iteration
  EXPECT_LE(a.span_ns, a.work_ns);
  EXPECT_LE(a.span_ns, a.wall_ns);
  ASSERT_FALSE(a.critical_path.empty());
  const tr::trace_segment* first = nullptr;
  for (const tr::trace_segment& s : t.segments)
    if (s.id == a.critical_path.front()) first = &s;
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(t.lanes[first->lane].name, "main");
  EXPECT_GE(first->duration_ns(), 3'000'000);
  std::remove(path.c_str());
}

// Terminal columns of one line: code points, colour escapes excluded.
std::size_t columns_of(const std::string& line) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\x1b') {
      i = line.find('m', i);
      continue;
    }
    n += (static_cast<unsigned char>(line[i]) & 0xc0) != 0x80;
  }
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

tr::trace_file recorded_trace() {
  brigade::pool p(2);
  const std::string path = temp_path("recorded.json");
  tr::start();
  spin_for(300us);
  p.run([] {
    brigade::join(tr::named("chop onions", [] { spin_for(1ms); }),
                  tr::named("stir the sauce", [] { spin_for(600us); }));
  });
  tr::stop(path);
  tr::trace_file t = tr::read_trace_file(path);
  std::remove(path.c_str());
  return t;
}

TEST(trace_timeline, every_line_fits_the_width_and_the_legend_names_the_labels) {
  const tr::trace_file t = recorded_trace();
  for (const bool color : {false, true}) {
    for (const unsigned width : {20u, 37u, 80u, 151u}) {
      const std::string drawing = tr::draw_timeline(t, {.width = width, .color = color});
      const auto lines = lines_of(drawing);
      ASSERT_GE(lines.size(), t.lanes.size() + 2) << drawing;
      for (const std::string& line : lines) EXPECT_LE(columns_of(line), width) << line;
      // Lanes take the whole width: their plot ends at the last column.
      EXPECT_EQ(columns_of(lines[0]), width) << lines[0];
      if (width >= 80) {
        EXPECT_NE(drawing.find("chop onions"), std::string::npos) << drawing;
        EXPECT_NE(drawing.find("stir the sauce"), std::string::npos) << drawing;
        EXPECT_NE(drawing.find("main"), std::string::npos) << drawing;
      }
      EXPECT_EQ(color, drawing.find('\x1b') != std::string::npos);
    }
  }
  EXPECT_THROW(tr::draw_timeline(t, {.width = 19}), std::invalid_argument);
  const std::string bare = tr::draw_timeline(t, {.width = 80, .legend = false});
  EXPECT_EQ(bare.find("chop onions"), std::string::npos);
}

TEST(trace_timeline, columns_show_what_filled_them) {
  builder b;
  b.seg(1, 0, "first", 0, 500).seg(2, 1, "second", 500, 1000);
  b.t.slices.push_back({tr::trace_slice::kind::parked, 1, 0, 0, 500});
  const auto lines = lines_of(tr::draw_timeline(b.t, {.width = 40}));
  // "main    " + " │" + 29 columns + "│": the first half of main is "█", of worker 0 "·".
  ASSERT_GE(lines.size(), 4u);
  EXPECT_NE(lines[0].find("│██"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("  │"), std::string::npos) << lines[0];  // blank at the end
  EXPECT_NE(lines[1].find("│··"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("▓│"), std::string::npos) << lines[1];
  const std::string all = tr::draw_timeline(b.t, {.width = 40});
  EXPECT_NE(all.find("█ first"), std::string::npos) << all;
  EXPECT_NE(all.find("▓ second"), std::string::npos) << all;
  EXPECT_NE(all.find("· parked"), std::string::npos) << all;
}

TEST(trace_timeline, labels_cannot_inject_terminal_escapes) {
  builder b;
  b.seg(1, 0, "evil\x1b[2J\x07", 0, 10);
  b.t.lanes[1].name = "\x1b]0;title\x07";
  const std::string drawing = tr::draw_timeline(b.t, {.width = 60});
  EXPECT_EQ(drawing.find('\x1b'), std::string::npos);
  EXPECT_EQ(drawing.find('\x07'), std::string::npos);
}

// Every printer of trace text writes control characters out visibly, the same way: the summary
// (describe), the timeline, the HTML page, and the cycle error that names segments.
TEST(trace_text, control_characters_are_written_out_by_every_printer) {
  builder b;
  b.seg(1, 0, "red\x1b[31m", 0, 10)
      .seg(2, 1,
           "csi\xc2\x9b"
           "2J bad\xff",
           10, 20)
      .edge(1, 2);
  b.t.lanes[1].name = "\x1b]0;title\x07";
  b.t.slices.push_back({tr::trace_slice::kind::lock_wait, 0, b.label("lock\r\x1b[K"), 10, 20});
  const tr::analysis a = tr::analyse(b.t);
  const std::string summary = tr::describe(a, b.t);
  const std::string drawing = tr::draw_timeline(b.t, {.width = 100});
  const std::string page = tr::html_page(b.t, a);
  for (const std::string* text : {&summary, &drawing, &page}) {
    for (const char raw : {'\x1b', '\x07', '\r'})
      EXPECT_EQ(text->find(raw), std::string::npos) << int(raw) << " in\n" << *text;
    EXPECT_EQ(text->find("\xc2\x9b"), std::string::npos) << *text;  // U+009B: CSI too
    EXPECT_EQ(text->find('\xff'), std::string::npos) << *text;
  }
  EXPECT_NE(summary.find("\\x1b]0;title\\x07"), std::string::npos) << summary;
  EXPECT_NE(summary.find("lock\\x0d\\x1b[K"), std::string::npos) << summary;
  EXPECT_NE(drawing.find("red\\x1b[31m"), std::string::npos) << drawing;
  EXPECT_NE(drawing.find("csi\\u009b2J bad\\xff"), std::string::npos) << drawing;
  EXPECT_NE(page.find("\\x1b]0;title\\x07"), std::string::npos);

  b.edge(2, 1);  // a cycle: the error names both segments
  try {
    tr::analyse(b.t);
    ADD_FAILURE() << "a cycle was not reported";
  } catch (const tr::trace_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\x1b'), std::string::npos) << what;
    EXPECT_NE(what.find("red\\x1b[31m"), std::string::npos) << what;
  }
}

// Checks that the tags of an HTML page nest (script bodies skipped, void elements allowed).
::testing::AssertionResult tags_nest(const std::string& html) {
  static const std::set<std::string> void_elements = {"meta", "br", "hr", "img", "input", "link"};
  std::vector<std::string> open;
  std::size_t i = 0;
  while ((i = html.find('<', i)) != std::string::npos) {
    const std::size_t end = html.find('>', i);
    if (end == std::string::npos) return ::testing::AssertionFailure() << "unclosed < at " << i;
    std::string tag = html.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty() || tag[0] == '!') continue;
    const bool closing = tag[0] == '/';
    const bool self_closing = tag.back() == '/';
    std::string name =
        tag.substr(closing ? 1 : 0, tag.find_first_of(" />", closing ? 1 : 0) - (closing ? 1 : 0));
    if (closing) {
      if (open.empty() || open.back() != name)
        return ::testing::AssertionFailure()
               << "</" << name << "> closes <" << (open.empty() ? "" : open.back()) << ">";
      open.pop_back();
    } else if (!self_closing && !void_elements.count(name)) {
      open.push_back(name);
      if (name == "script" || name == "style") {  // raw text up to its end tag
        i = html.find("</" + name + ">", i);
        if (i == std::string::npos) return ::testing::AssertionFailure() << "no </" << name << ">";
      }
    }
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "<" << open.back() << "> not closed";
  return ::testing::AssertionSuccess();
}

TEST(trace_html, the_page_is_well_formed_self_contained_and_has_every_segment) {
  const tr::trace_file t = recorded_trace();
  const tr::analysis a = tr::analyse(t);
  const std::string page = tr::html_page(t, a, {.title = "dinner <for> two"});
  EXPECT_TRUE(tags_nest(page));
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("dinner &lt;for&gt; two"), std::string::npos);
  EXPECT_EQ(page.find("://"), std::string::npos) << "the page loads something";
  std::size_t rects = 0;
  for (std::size_t i = 0; (i = page.find("<rect class=\"seg", i)) != std::string::npos; ++i)
    ++rects;
  EXPECT_EQ(rects, t.segments.size());
  for (const tr::trace_segment& s : t.segments)
    EXPECT_NE(page.find("data-segment=\"" + std::to_string(s.id) + "\""), std::string::npos);
  EXPECT_NE(page.find("<title>chop onions: "), std::string::npos);
  EXPECT_NE(page.find("class=\"seg crit\""), std::string::npos);  // the critical path
  EXPECT_NE(page.find("work (T1)"), std::string::npos);           // the analysis
  EXPECT_NE(page.find("addEventListener('wheel'"), std::string::npos);
}

TEST(trace_html, labels_are_escaped) {
  builder b;
  b.seg(1, 0, "<script>alert('x')</script> & co", 0, 10);
  const std::string page = tr::html_page(b.t, tr::analyse(b.t));
  EXPECT_TRUE(tags_nest(page));
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"),
            std::string::npos);
}

// The one escape of HTML and SVG text (the page here, `brigade scale --svg`'s title): markup
// characters become entities, control characters and stray bytes are written out visibly.
TEST(trace_html, escape_markup_escapes_markup_and_controls) {
  EXPECT_EQ(tr::escape_markup("a<b>&\"c\"'d'"), "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
  EXPECT_EQ(tr::escape_markup("bell\x07 bad\xff"), "bell\\x07 bad\\xff");
  EXPECT_EQ(tr::escape_markup("two\nlines"), "two\\x0alines");
  EXPECT_EQ(tr::escape_markup("two\nlines", true), "two\nlines");
  EXPECT_EQ(tr::escape_markup("caf\xc3\xa9"), "caf\xc3\xa9");
}

// Registered apart (tests/CMakeLists.txt: trace_html_screenshot, 120 s): renders a recorded
// trace's page in headless Chromium, which CMake found as BRIGADE_CHROMIUM.
TEST(trace_screenshot, chromium_renders_the_page) {
  const char* chromium = std::getenv("BRIGADE_CHROMIUM");
  ASSERT_TRUE(chromium != nullptr && *chromium != '\0' &&
              std::string(chromium).find("NOTFOUND") == std::string::npos)
      << "Chromium was not found when CMake configured this build (BRIGADE_CHROMIUM="
      << (chromium != nullptr ? chromium : "(unset)")
      << "): install it (tools/install-deps.sh --tests installs the Debian package 'chromium') and "
         "configure again";
  const tr::trace_file t = recorded_trace();
  const std::string dir = temp_path("screenshot");
  std::filesystem::create_directories(dir);
  const std::string page = dir + "/trace.html";
  const std::string png = dir + "/trace.png";
  const std::string dom = dir + "/dom.html";
  const std::string log = dir + "/chromium.log";
  {
    std::ofstream out(page);
    out << tr::html_page(t, tr::analyse(t));
  }
  const std::string common = std::string("timeout 90 '") + chromium +
                             "' --headless --no-sandbox --disable-gpu --user-data-dir=" + dir +
                             "/profile --window-size=1200,800 ";
  const int shot = std::system(
      (common + "--screenshot=" + png + " file://" + page + " >" + log + " 2>&1").c_str());
  std::string output;
  {
    std::ifstream in(log);
    std::stringstream s;
    s << in.rdbuf();
    output = s.str();
  }
  ASSERT_EQ(shot, 0) << "chromium failed:\n"
                     << output.substr(output.size() > 4000 ? output.size() - 4000 : 0);
  ASSERT_TRUE(std::filesystem::exists(png)) << output;
  EXPECT_GT(std::filesystem::file_size(png), 10'000u) << "a blank page?";
  std::ifstream image(png, std::ios::binary);
  unsigned char header[24] = {};
  image.read(reinterpret_cast<char*>(header), sizeof header);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(header + 1), 3), "PNG");
  const auto be32 = [&](int at) {
    return (unsigned{header[at]} << 24) | (unsigned{header[at + 1]} << 16) |
           (unsigned{header[at + 2]} << 8) | unsigned{header[at + 3]};
  };
  EXPECT_EQ(be32(16), 1200u);  // IHDR width
  EXPECT_EQ(be32(20), 800u);   // and height

  // The script ran: it drew the time axis' ticks into the page.
  ASSERT_EQ(std::system((common + "--dump-dom file://" + page + " >" + dom + " 2>>" + log).c_str()),
            0);
  std::ifstream in(dom);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_NE(s.str().find("class=\"tick\""), std::string::npos) << "the page's script did not run";
  std::filesystem::remove_all(dir);
}

}  // namespace

namespace {

// A divisible loop piece (units > 1) counts one unit's share in the span, all of it in the work.
TEST(trace_analysis, a_divisible_piece_counts_one_unit_in_the_span) {
  builder b;
  b.seg(1, 0, "a", 0, 10).seg(2, 0, "loop", 10, 90).seg(3, 0, "d", 90, 100);
  b.t.segments[1].units = 8;  // 8 iterations of 10 ns, run in a row
  b.edge(1, 2).edge(2, 3);
  const tr::analysis a = tr::analyse(b.t);
  EXPECT_EQ(a.work_ns, 100);
  EXPECT_EQ(a.span_ns, 30);  // 10 + 80 / 8 + 10
}

// The writer marks such pieces with args.units, and the reader refuses a piece of 0 iterations.
TEST(trace_reader, units_are_read_and_zero_is_refused) {
  const std::string path = temp_path("units.json");
  auto write = [&](const std::string& units) {
    std::ofstream(path) << R"({"traceEvents":[{"ph":"X","cat":"segment","name":"p","pid":1,)"
                        << R"("tid":1,"ts":0,"dur":1,"args":{"segment":7,"units":)" << units
                        << R"(}}],"otherData":{"producer":"brigade","version":1,)"
                        << R"("dropped_events":0,"threads":1,"duration_ns":1000}})";
  };
  write("12");
  EXPECT_EQ(tr::read_trace_file(path).segments.at(0).units, 12u);
  write("0");
  try {
    (void)tr::read_trace_file(path);
    ADD_FAILURE() << "units 0 was accepted";
  } catch (const tr::trace_error& e) {
    EXPECT_NE(std::string(e.what()).find("args.units 0"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

}  // namespace
