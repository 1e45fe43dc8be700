// Forks deeper than the fork-depth limit (trace::start_options::fork_depth) are recorded only
// when a thief takes their branch: their work still counts, exactly; the span inside a subtree
// below the limit that ran on one thread counts as that subtree's work (an upper bound); and a
// branch a thief took starts after the part of the forking segment that ran before the steal,
// not after the whole segment (the writer cuts the segment there). The waits are sleeps, so a
// busy machine stretches them little; each test gets three attempts, as in
// trace_logical_span_test.cpp.
#include <brigade/pool/join.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/trace/trace.hpp>
#include <brigade/trace_tools/analysis.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace tr = brigade::trace;
using namespace std::chrono_literals;
using ms = std::chrono::duration<double, std::milli>;

tr::analysis record(unsigned threads, std::uint32_t fork_depth,
                    const std::function<void(brigade::pool&)>& program) {
  brigade::pool p(threads);
  const std::string path = "/tmp/brigade_fork_depth_" + std::to_string(::getpid()) + "_" +
                           std::to_string(threads) + ".json";
  tr::start({.ring = false, .events_per_thread = 0, .fork_depth = fork_depth});
  program(p);
  tr::stop(path);
  tr::analysis a = tr::analyse(tr::read_trace_file(path));
  std::remove(path.c_str());
  return a;
}

double work_ms(const tr::analysis& a) {
  return static_cast<double>(a.work_ns) / 1e6;
}
double span_ms(const tr::analysis& a) {
  return static_cast<double>(a.span_ns) / 1e6;
}

template <class F>
double timed(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return ms(std::chrono::steady_clock::now() - start).count();
}

std::string near(double got, double expected, double rel, const std::string& what) {
  if (got >= expected * (1 - rel) && got <= expected * (1 + rel)) return "";
  return what + ": " + std::to_string(got) + " ms, expected about " + std::to_string(expected) +
         " ms; ";
}

template <class Attempt>
void within_three_attempts(Attempt attempt) {
  std::string all;
  for (int i = 0; i < 3; ++i) {
    const std::string misses = attempt();
    if (misses.empty()) return;
    all += "\n  attempt " + std::to_string(i + 1) + ": " + misses;
  }
  ADD_FAILURE() << "three attempts missed:" << all;
}

// A balanced tree of joins `levels` deep; leaf k sleeps 1 ms and stores what it took.
void tree(int levels, std::size_t first, std::vector<double>& leaves) {
  if (levels == 0) {
    leaves[first] = timed([] { std::this_thread::sleep_for(1ms); });
    return;
  }
  const std::size_t half = std::size_t{1} << (levels - 1);
  brigade::join([&] { tree(levels - 1, first, leaves); },
                [&] { tree(levels - 1, first + half, leaves); });
}

// The largest sum of `group` consecutive leaves starting at a multiple of `group`: the span of
// the tree when its subtrees of `group` leaves each count as serial.
double max_group(const std::vector<double>& leaves, std::size_t group) {
  double best = 0;
  for (std::size_t i = 0; i < leaves.size(); i += group)
    best = std::max(best,
                    std::accumulate(leaves.begin() + static_cast<std::ptrdiff_t>(i),
                                    leaves.begin() + static_cast<std::ptrdiff_t>(i + group), 0.0));
  return best;
}

// On one thread, 64 leaves 6 forks deep. Every fork recorded: the span is one leaf. With the
// limit at 3, the subtrees below depth 3 (8 leaves each) count as serial: the span is the
// longest such subtree; the work is the same.
TEST(trace_fork_depth, subtrees_below_the_limit_count_as_serial_and_work_stays_exact) {
  within_three_attempts([] {
    std::string misses;
    for (std::uint32_t depth : {100u, 3u}) {
      std::vector<double> leaves(64);
      const tr::analysis a =
          record(1, depth, [&](brigade::pool& p) { p.run([&] { tree(6, 0, leaves); }); });
      const double work = std::accumulate(leaves.begin(), leaves.end(), 0.0);
      const std::string at = "fork depth " + std::to_string(depth);
      misses += near(work_ms(a), work, 0.05, "work at " + at);
      const double span = depth >= 6 ? *std::max_element(leaves.begin(), leaves.end())
                                     : max_group(leaves, std::size_t{1} << (6 - depth));
      // A recorded fork adds a few microseconds to the span; 64 of them matter for 1 ms.
      misses += near(span_ms(a), span, depth >= 6 ? 0.25 : 0.10, "span at " + at);
    }
    return misses;
  });
}

// Nothing recorded below the root (limit 0) on two threads: 10 ms serial, then a join of two
// 10 ms branches. The other worker takes g while f runs, so the trace holds g only because it
// was stolen. g starts after the serial part, not after f: the span is serial + one branch
// (20 ms), where a branch placed after the whole forking segment would give 30.
TEST(trace_fork_depth, a_stolen_branch_starts_where_it_was_taken) {
  within_three_attempts([] {
    double serial = 0, f = 0, g = 0;
    const tr::analysis a = record(2, 0, [&](brigade::pool& p) {
      p.run([&] {
        serial = timed([] { std::this_thread::sleep_for(10ms); });
        brigade::join([&] { f = timed([] { std::this_thread::sleep_for(10ms); }); },
                      [&] { g = timed([] { std::this_thread::sleep_for(10ms); }); });
      });
    });
    std::string misses;
    if (a.steals == 0) return std::string("g was not stolen; ");
    misses += near(work_ms(a), serial + f + g, 0.05, "work");
    misses += near(span_ms(a), serial + std::max(f, g), 0.10, "span");
    if (a.missing_edges != 0) misses += std::to_string(a.missing_edges) + " missing edges; ";
    return misses;
  });
}

// The limit is a setting with a default, and BRIGADE_TRACE_FORK_DEPTH is checked.
TEST(trace_fork_depth, the_limit_defaults_to_16) {
  tr::start();
  EXPECT_EQ(brigade::detail::tracing::fork_depth_limit.load(), 16u);
  tr::start({.ring = false, .events_per_thread = 0, .fork_depth = 5});
  EXPECT_EQ(brigade::detail::tracing::fork_depth_limit.load(), 5u);
  tr::stop("/dev/null");
}

}  // namespace
