// A recorded trace follows the Trace Event Format to the letter, so that Perfetto loads it as well
// as chrome://tracing: every event's fields and types for its phase, the top-level object, and
// flow events bound to the slices they join (Perfetto's rule: an "s" binds to the slice that
// encloses it on its thread, an "f" with "bp":"e" likewise; without "bp" it would bind to the
// next slice to begin).
#include <brigade/brigade.hpp>
#include <brigade/trace/trace.hpp>
#include <brigade/trace_tools/analysis.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using json = nlohmann::json;

// Two coroutines on `loop` take m: the first holds it for `hold` (asleep), the second waits.
void two_coroutines_take(brigade::event_loop& loop, brigade::async_mutex& m,
                         std::chrono::milliseconds hold) {
  auto holder = [&]() -> brigade::task<void> {
    auto g = co_await m.lock();
    co_await brigade::sleep_for(hold);
  };
  auto waiter = [&]() -> brigade::task<void> { auto g = co_await m.lock(); };
  loop.run_until(brigade::when_all(holder(), waiter()));
}

// A file for one test's trace, its own even when other processes run the same test at once.
std::string scratch_file(const std::string& name) {
  return ::testing::TempDir() + name + "." + std::to_string(::getpid()) + ".json";
}

void spin_for(std::chrono::microseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

// A time in the file (microseconds, nanosecond decimals) as integer nanoseconds.
std::int64_t ns(const json& t) {
  return std::llround(t.get<double>() * 1000);
}

struct slice {
  std::int64_t begin, end;
  std::uint64_t segment;  // 0: not a segment
};

// Every deviation from the Trace Event Format found in a whole trace, one line each.
class checker {
 public:
  std::vector<std::string> problems;

  void check(const json& t) {
    if (!t.is_object()) return fail("the trace is not a JSON object", t);
    // The JSON Object Format's keys; any other is not the format.
    static const std::set<std::string> top = {
        "traceEvents", "displayTimeUnit",    "systemTraceEvents",      "otherData", "stackFrames",
        "samples",     "powerTraceAsString", "controllerTraceDataKey", "metadata"};
    for (const auto& [key, value] : t.items())
      if (!top.count(key)) fail("unknown top-level key \"" + key + "\"", t[key]);
    if (!t.contains("traceEvents") || !t["traceEvents"].is_array())
      return fail("no traceEvents array", t);
    if (t.contains("displayTimeUnit") &&
        !(t["displayTimeUnit"] == "ms" || t["displayTimeUnit"] == "ns"))
      fail("displayTimeUnit is neither \"ms\" nor \"ns\"", t["displayTimeUnit"]);
    if (t.contains("otherData") && !t["otherData"].is_object())
      fail("otherData is not an object", t["otherData"]);
    // Timestamps are microseconds since the recording started: none lies past its end.
    limit_ns_ = t.value("otherData", json::object()).value("duration_ns", std::int64_t{-1});
    for (const json& e : t["traceEvents"]) event(e);
    flows();
    asyncs();
  }

  void fail(const std::string& what, const json& where) {
    problems.push_back(what + ": " + where.dump());
  }

 private:
  void event(const json& e) {
    if (!e.is_object()) return fail("an event is not an object", e);
    static const std::set<std::string> known = {
        "ph",    "name", "cat",    "pid",   "tid",     "ts",      "dur",     "tts",
        "tdur",  "args", "s",      "id",    "id2",     "bp",      "cname",   "sf",
        "stack", "esf",  "estack", "scope", "bind_id", "flow_in", "flow_out"};
    for (const auto& [key, value] : e.items())
      if (!known.count(key)) fail("unknown field \"" + key + "\"", e);
    if (!e.contains("ph") || !e["ph"].is_string() || e["ph"].get<std::string>().size() != 1)
      return fail("no one-letter \"ph\"", e);
    for (const char* f : {"name"})
      if (!e.contains(f) || !e[f].is_string()) fail(std::string("no string \"") + f + "\"", e);
    for (const char* f : {"pid", "tid"})
      if (!e.contains(f) || !e[f].is_number_integer())
        fail(std::string("no integer \"") + f + "\"", e);
    if (e.contains("args") && !e["args"].is_object()) fail("\"args\" is not an object", e);
    if (e.contains("cat") && !e["cat"].is_string()) fail("\"cat\" is not a string", e);
    const std::string ph = e["ph"];
    if (ph == "M") return metadata(e);
    // Every other phase brigade writes is placed in time and categorized.
    if (!e.contains("cat")) fail("no \"cat\"", e);
    if (!time(e, "ts")) return;
    if (ph == "X") {
      if (!time(e, "dur")) return;
      slices_[lane(e)].push_back(
          {ns(e["ts"]), ns(e["ts"]) + ns(e["dur"]),
           e.value("cat", "") == "segment" ? e["args"].value("segment", std::uint64_t{0}) : 0});
    } else if (ph == "i") {
      if (!e.contains("s") || !(e["s"] == "g" || e["s"] == "p" || e["s"] == "t"))
        fail("an instant event's scope \"s\" is not \"g\", \"p\" or \"t\"", e);
    } else if (ph == "s" || ph == "f") {
      if (!e.contains("id") || !(e["id"].is_number_integer() || e["id"].is_string()))
        return fail("a flow event without an integer or string \"id\"", e);
      if (ph == "f" && e.value("bp", "") != "e")
        fail("a flow end without \"bp\":\"e\" binds to the next slice, not its own", e);
      if (ph == "s" && e.contains("bp")) fail("\"bp\" on a flow start", e);
      auto& pair = flows_[e["id"].dump()];
      (ph == "s" ? pair.first : pair.second).push_back(e);
    } else if (ph == "b" || ph == "e") {
      // Nestable async events: matched by process, category and id (a wait for communication
      // may end on another thread than the one it began on).
      if (!e.contains("id") || !(e["id"].is_number_integer() || e["id"].is_string()))
        return fail("an async event without an integer or string \"id\"", e);
      auto& pair = asyncs_[std::to_string(e["pid"].get<std::int64_t>()) + "/" + e.value("cat", "") +
                           "/" + e["id"].dump()];
      (ph == "b" ? pair.first : pair.second).push_back(e);
    } else {
      fail("a phase brigade does not write (B/E need pairing, the rest other fields)", e);
    }
  }

  void metadata(const json& e) {
    static const std::set<std::string> names = {
        "process_name", "process_labels", "process_sort_index", "thread_name", "thread_sort_index"};
    if (!e.contains("name") || !e["name"].is_string() || !names.count(e["name"]))
      return fail("an unknown metadata event", e);
    if (!e.contains("args") || !e["args"].is_object()) return fail("metadata without args", e);
    if (e["name"] == "thread_name" || e["name"] == "process_name")
      if (!e["args"].contains("name") || !e["args"]["name"].is_string())
        fail("a name event without a string args.name", e);
  }

  bool time(const json& e, const char* field) {
    if (!e.contains(field) || !e[field].is_number()) {
      fail(std::string("no number \"") + field + "\"", e);
      return false;
    }
    const std::int64_t t = ns(e[field]);
    if (t < 0) fail(std::string("negative \"") + field + "\"", e);
    if (limit_ns_ >= 0 && t > limit_ns_)
      fail(std::string("\"") + field + "\" past the recording's end (not microseconds?)", e);
    return true;
  }

  static std::pair<std::int64_t, std::int64_t> lane(const json& e) { return {e["pid"], e["tid"]}; }

  // The innermost slice on e's thread at e's ts: the latest begun of those enclosing it (a
  // slice covers [begin, end); one of no length covers its instant).
  const slice* enclosing(const json& e) const {
    const auto it = slices_.find(lane(e));
    if (it == slices_.end()) return nullptr;
    const std::int64_t t = ns(e["ts"]);
    const slice* best = nullptr;
    for (const slice& s : it->second) {
      const bool covers = s.begin <= t && (t < s.end || (s.begin == s.end && t == s.begin));
      if (covers && (best == nullptr || s.begin > best->begin ||
                     (s.begin == best->begin && s.end < best->end)))
        best = &s;
    }
    return best;
  }

  void flows() {
    for (const auto& [id, pair] : flows_) {
      const auto& [starts, ends] = pair;
      if (starts.size() != 1 || ends.size() != 1) {
        fail("flow " + id + " has " + std::to_string(starts.size()) + " starts and " +
                 std::to_string(ends.size()) + " ends",
             starts.empty() ? ends.front() : starts.front());
        continue;
      }
      const json &s = starts.front(), &f = ends.front();
      if (s.value("cat", "") != f.value("cat", "") || s.value("name", "") != f.value("name", ""))
        fail("a flow's start and end differ in cat or name (viewers match on both)", s);
      if (ns(f["ts"]) < ns(s["ts"])) fail("a flow ends before it starts", f);
      bound(s, "from");
      bound(f, "to");
    }
  }

  void asyncs() {
    for (const auto& [key, pair] : asyncs_) {
      const auto& [begins, ends] = pair;
      if (begins.size() != 1 || ends.size() != 1) {
        fail("async " + key + " has " + std::to_string(begins.size()) + " begins and " +
                 std::to_string(ends.size()) + " ends",
             begins.empty() ? ends.front() : begins.front());
        continue;
      }
      if (ns(ends.front()["ts"]) < ns(begins.front()["ts"]))
        fail("an async slice ends before it begins", ends.front());
    }
  }

  // The slice a flow event binds to must be the segment its edge names.
  void bound(const json& e, const char* end) {
    const std::uint64_t want = e.value("args", json::object()).value(end, std::uint64_t{0});
    const slice* s = enclosing(e);
    if (s == nullptr) return fail("no slice encloses this flow event on its thread", e);
    if (s->segment != want)
      fail("the slice enclosing this flow event is " +
               (s->segment == 0 ? std::string("not a segment")
                                : "segment " + std::to_string(s->segment)) +
               ", not args." + end,
           e);
  }

  std::int64_t limit_ns_ = -1;
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<slice>> slices_;
  std::map<std::string, std::pair<std::vector<json>, std::vector<json>>> flows_;
  std::map<std::string, std::pair<std::vector<json>, std::vector<json>>> asyncs_;
};

void expect_no_problems(const checker& c) {
  std::size_t shown = 0;
  for (const std::string& p : c.problems)
    if (++shown <= 20) ADD_FAILURE() << p;
  EXPECT_TRUE(c.problems.empty()) << c.problems.size() << " deviations";
}

TEST(trace_format, every_recorded_event_follows_the_trace_event_format) {
  const std::string path = scratch_file("brigade_trace_format");
  brigade::pool p(2);
  brigade::mutex m("the lock");
  brigade::trace::start();
  p.run([] {  // a fork and a join
    brigade::join(brigade::trace::named("left", [] { spin_for(std::chrono::microseconds(300)); }),
                  brigade::trace::named("right", [] { spin_for(std::chrono::microseconds(300)); }));
  });
  std::vector<int> v(4096);
  brigade::parallel_for(std::size_t{0}, v.size(),
                        [&](std::size_t i) { v[i] = static_cast<int>(i); }, {.pool = &p});
  {
    brigade::event_loop loop;  // a loop and a timer
    loop.run_until([]() -> brigade::task<void> {
      co_await brigade::sleep_for(std::chrono::milliseconds(2));
    }());
  }
  {
    // A lock wait, most likely: the other thread finds the lock held for 20 ms. Whether it waited
    // is not checked: only that whatever was recorded is well formed.
    std::unique_lock hold(m);
    std::latch started(1);
    std::thread other([&] {
      started.count_down();
      std::lock_guard g(m);
    });
    started.wait();
    spin_for(std::chrono::milliseconds(20));
    hold.unlock();
    other.join();
  }
  {
    // A coroutine's wait for an async_mutex: an async slice of category "lock".
    brigade::async_mutex pantry("the pantry");
    brigade::event_loop loop;
    two_coroutines_take(loop, pantry, std::chrono::milliseconds(2));
  }
  {
    // A coroutine's wait for a channel's value: an async slice of category "sync".
    brigade::channel<int> ch;
    brigade::event_loop loop;
    auto receiver = [&]() -> brigade::task<void> { co_await ch.receive(); };
    auto sender = [&]() -> brigade::task<void> {
      co_await brigade::sleep_for(std::chrono::milliseconds(1));
      ch.try_send(1);
    };
    loop.run_until(brigade::when_all(receiver(), sender()));
  }
  {
    // A wait for communication (as brigade::mpi records one) that ends on another thread.
    namespace hooks = brigade::detail::tracing;
    const std::uint64_t wait = hooks::new_segment_id();
    hooks::record(hooks::kind::comm_wait_begin, wait, 0, "MPI_Recv from rank 1");
    std::thread([wait] { hooks::record(hooks::kind::comm_wait_end, wait, 0, nullptr); }).join();
  }
  brigade::trace::stop(path);
  std::ifstream in(path);
  const json t = json::parse(in);
  std::set<std::string> phases;
  std::size_t flow_ends = 0;
  for (const json& e : t["traceEvents"]) {
    phases.insert(e.value("ph", ""));
    flow_ends += e.value("ph", "") == "f";
  }
  for (const char* ph : {"X", "i", "M", "s", "f", "b", "e"}) EXPECT_TRUE(phases.count(ph)) << ph;
  EXPECT_GE(flow_ends, 4U);  // fork and join arrows at least
  checker c;
  c.check(t);
  expect_no_problems(c);
  std::remove(path.c_str());
}

// Two coroutines on one loop want one async_mutex; the second waits while the first sleeps 5 ms
// holding it. The trace has that wait, named after the lock, as analyse() counts lock waits.
TEST(trace_format, a_coroutine_waiting_for_an_async_mutex_is_a_lock_wait) {
  const std::string path = scratch_file("async_lock_trace");
  brigade::trace::start();
  {
    brigade::async_mutex m("the pantry");
    brigade::event_loop loop;
    two_coroutines_take(loop, m, std::chrono::milliseconds(5));
    auto free_lock = [&]() -> brigade::task<void> { auto g = co_await m.lock(); };
    loop.run_until(free_lock());  // not held: no wait
  }
  brigade::trace::stop(path);
  const brigade::trace::trace_file t = brigade::trace::read_trace_file(path);
  std::remove(path.c_str());
  std::vector<brigade::trace::trace_slice> waits;
  for (const auto& s : t.slices)
    if (s.what == brigade::trace::trace_slice::kind::lock_wait) waits.push_back(s);
  ASSERT_EQ(waits.size(), 1U);
  EXPECT_EQ(t.labels.at(waits[0].label), "the pantry");
  EXPECT_GE(waits[0].end_ns - waits[0].begin_ns, 4'000'000);  // the 5 ms sleep, less a timer tick
  const brigade::trace::analysis a = brigade::trace::analyse(t);
  EXPECT_EQ(a.lock_waits, 1U);
}

// A thread is "loop N" in a trace while it runs an event loop, itself again afterwards.
TEST(trace_format, a_thread_that_ran_a_loop_is_named_as_before_in_a_later_recording) {
  {
    brigade::event_loop loop;
    loop.run_until([]() -> brigade::task<void> { co_return; }());
  }
  const std::string path = scratch_file("after_a_loop");
  brigade::trace::start();
  spin_for(std::chrono::milliseconds(1));
  brigade::trace::stop(path);
  const brigade::trace::trace_file t = brigade::trace::read_trace_file(path);
  std::remove(path.c_str());
  ASSERT_FALSE(t.segments.empty());
  EXPECT_EQ(t.lanes.at(t.segments.front().lane).name, "main");
}

TEST(trace_format, the_checker_finds_deviations) {
  // Without this, a checker that accepts everything would pass the test above.
  const json bad = {
      {"displayTimeUnit", "us"},
      {"traceEvents",
       {{{"ph", "X"},
         {"cat", "segment"},
         {"name", "a"},
         {"pid", 1},
         {"tid", 0},
         {"ts", 0},
         {"dur", 10},
         {"args", {{"segment", 1}}}},
        {{"ph", "X"},
         {"cat", "segment"},
         {"name", "b"},
         {"pid", 1},
         {"tid", 0},
         {"ts", 10},
         {"dur", 10},
         {"args", {{"segment", 2}}}},
        {{"ph", "X"}, {"name", "no dur"}, {"cat", "x"}, {"pid", 1}, {"tid", 0}, {"ts", 1}},
        {{"ph", "i"},
         {"s", "x"},
         {"cat", "event"},
         {"name", "i"},
         {"pid", 1},
         {"tid", "0"},
         {"ts", 1}},
        // At the end of "a", where "b" begins: bound to "b", not to "a".
        {{"ph", "s"},
         {"cat", "edge"},
         {"name", "edge"},
         {"id", 1},
         {"pid", 1},
         {"tid", 0},
         {"ts", 10},
         {"args", {{"from", 1}, {"to", 2}}}},
        {{"ph", "f"},
         {"cat", "edge"},
         {"name", "edge"},
         {"id", 1},
         {"pid", 1},
         {"tid", 0},
         {"ts", 10},
         {"args", {{"from", 1}, {"to", 2}}}}}}};
  checker c;
  c.check(bad);
  std::string all;
  for (const std::string& p : c.problems) all += p + "\n";
  for (const char* found : {"displayTimeUnit", "no number \"dur\"", "scope", "no integer \"tid\"",
                            "segment 2, not args.from", "without \"bp\":\"e\""})
    EXPECT_NE(all.find(found), std::string::npos) << found << " not found in:\n" << all;
}

}  // namespace
