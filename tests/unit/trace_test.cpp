// Tracing: the recorded file is valid Chrome Trace Event JSON, with brigade's segments, edges,
// labels and thread names; dropped events are counted.
#include <brigade/brigade.hpp>
#include <brigade/trace/trace.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>

namespace {

using json = nlohmann::json;

json load(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::string temp_path(const char* name) {
  return std::string("/tmp/brigade_trace_") + name + ".json";
}

void spin_for(std::chrono::microseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

TEST(trace, file_is_chrome_json_with_segments_edges_and_names) {
  brigade::pool p(2);
  const std::string path = temp_path("structure");
  brigade::trace::start();
  p.run([] {
    brigade::join(brigade::trace::named("left", [] { spin_for(std::chrono::microseconds(500)); }),
                  brigade::trace::named("right", [] { spin_for(std::chrono::microseconds(500)); }));
  });
  const std::size_t written = brigade::trace::stop(path);
  EXPECT_FALSE(brigade::trace::enabled());
  const json t = load(path);
  ASSERT_TRUE(t.contains("traceEvents"));
  EXPECT_EQ(t["traceEvents"].size(), written);
  EXPECT_EQ(t["otherData"]["producer"], "brigade");
  EXPECT_EQ(t["otherData"]["dropped_events"], 0);

  std::map<std::uint64_t, std::string> segments;  // id -> label
  std::set<std::string> names;
  std::map<std::uint64_t, int> incoming;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> edges;
  for (const json& e : t["traceEvents"]) {
    ASSERT_TRUE(e.contains("ph"));
    if (e["ph"] == "M") names.insert(e["args"]["name"].get<std::string>());
    if (e["ph"] == "X" && e["cat"] == "segment") {
      EXPECT_GE(e["dur"].get<double>(), 0.0);
      segments[e["args"]["segment"].get<std::uint64_t>()] = e["name"].get<std::string>();
    }
    if (e["ph"] == "s") {
      edges.emplace_back(e["args"]["from"].get<std::uint64_t>(),
                         e["args"]["to"].get<std::uint64_t>());
      incoming[e["args"]["to"].get<std::uint64_t>()]++;
    }
  }
  EXPECT_TRUE(names.count("main"));
  EXPECT_TRUE(names.count("worker 0") || names.count("worker 1"));
  std::set<std::string> labels;
  for (auto& [id, label] : segments) labels.insert(label);
  EXPECT_TRUE(labels.count("left"));
  EXPECT_TRUE(labels.count("right"));
  for (auto [from, to] : edges) {  // every arrow joins two recorded segments
    EXPECT_TRUE(segments.count(from)) << from;
    EXPECT_TRUE(segments.count(to)) << to;
  }
  // The join's continuation follows both branches.
  bool two_in = false;
  for (auto [seg, n] : incoming) two_in = two_in || n >= 2;
  EXPECT_TRUE(two_in);
  std::remove(path.c_str());
}

TEST(trace, graph_tasks_carry_their_names_and_dependency_edges) {
  brigade::pool p(2);
  brigade::task_graph g("dinner");
  auto work = [] { spin_for(std::chrono::microseconds(200)); };
  auto chop = g.add("chop", work);
  auto boil = g.add("boil", work);
  auto stir = g.add("stir", work);
  auto serve = g.add("serve", work);
  chop.precede(boil, stir);
  serve.succeed(boil, stir);
  const std::string path = temp_path("graph");
  brigade::trace::start();
  g.run(p);
  brigade::trace::stop(path);
  const json t = load(path);
  std::map<std::uint64_t, std::string> label_of;
  std::set<std::pair<std::string, std::string>> arrows;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> edges;
  for (const json& e : t["traceEvents"]) {
    if (e["ph"] == "X" && e["cat"] == "segment")
      label_of[e["args"]["segment"].get<std::uint64_t>()] = e["name"].get<std::string>();
    if (e["ph"] == "s")
      edges.emplace_back(e["args"]["from"].get<std::uint64_t>(),
                         e["args"]["to"].get<std::uint64_t>());
  }
  for (auto [from, to] : edges)
    if (label_of.count(from) && label_of.count(to)) arrows.emplace(label_of[from], label_of[to]);
  for (const char* task : {"chop", "boil", "stir", "serve"}) {
    int runs = 0;
    for (auto& [id, label] : label_of) runs += label == task;
    EXPECT_EQ(runs, 1) << task;
  }
  using arrow = std::pair<std::string, std::string>;
  EXPECT_TRUE(arrows.count(arrow{"chop", "boil"}));
  EXPECT_TRUE(arrows.count(arrow{"chop", "stir"}));
  EXPECT_TRUE(arrows.count(arrow{"boil", "serve"}));
  EXPECT_TRUE(arrows.count(arrow{"stir", "serve"}));
  EXPECT_FALSE(arrows.count(arrow{"boil", "stir"}));
  EXPECT_TRUE(arrows.count(arrow{"main", "chop"}));  // the caller's strand forks the run
  bool continues = false;  // ... and continues after it, in a segment of its own
  for (auto& [from, to] : arrows) continues = continues || (from == "serve" && to != "serve");
  EXPECT_TRUE(continues);
  std::remove(path.c_str());
}

TEST(trace, full_buffers_drop_and_count_events) {
  const std::string path = temp_path("dropped");
  brigade::detail::tracing::set_buffer_capacity(64);
  brigade::pool p(1);
  brigade::trace::start();
  p.run([] {
    for (int i = 0; i < 200; ++i) brigade::join([] {}, [] {});
  });
  EXPECT_GT(brigade::trace::dropped(), 0u);
  brigade::trace::stop(path);
  brigade::detail::tracing::set_buffer_capacity(1 << 18);
  const json t = load(path);
  EXPECT_GT(t["otherData"]["dropped_events"].get<std::uint64_t>(), 0u);
  std::remove(path.c_str());
}

TEST(trace, stop_without_start_is_a_logic_error) {
  EXPECT_THROW(brigade::trace::stop(temp_path("never")), std::logic_error);
}

TEST(trace, unwritable_path_is_a_system_error) {
  brigade::trace::start();
  EXPECT_THROW(brigade::trace::stop("/nonexistent-dir/x.json"), std::system_error);
}

TEST(trace, event_loop_steps_and_waits_are_recorded) {
  const std::string path = temp_path("loop");
  brigade::trace::start();
  {
    brigade::event_loop loop;
    loop.run_until([]() -> brigade::task<void> {
      co_await brigade::sleep_for(std::chrono::milliseconds(2));
    }());
  }
  brigade::trace::stop(path);
  const json t = load(path);
  bool waited = false, loop_named = false, timer = false;
  for (const json& e : t["traceEvents"]) {
    if (e["ph"] == "X" && e["cat"] == "idle" && e["name"] == "waiting for I/O") waited = true;
    if (e["ph"] == "M" && e["args"]["name"].get<std::string>().rfind("loop ", 0) == 0)
      loop_named = true;
    if (e["ph"] == "i" && e["name"] == "timer") timer = true;
  }
  EXPECT_TRUE(waited);
  EXPECT_TRUE(loop_named);
  EXPECT_TRUE(timer);
  std::remove(path.c_str());
}

}  // namespace
