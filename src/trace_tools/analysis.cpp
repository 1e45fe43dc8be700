// Work, span and the rest of a trace's analysis: Cilkview's measures over the segment DAG.
#include <brigade/trace_tools/analysis.hpp>

#include "printable.hpp"
#include "segment_graph.hpp"
#include "time_math.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace brigade::trace {
namespace {

using detail::add;
using detail::length;
std::int64_t length(const trace_segment& s) noexcept {
  return length(s.begin_ns, s.end_ns);
}
// A segment's share of the span: a divisible loop piece of u iterations logically runs them
// side by side, so it contributes one iteration's share of its time.
std::int64_t span_length(const trace_segment& s) noexcept {
  const std::int64_t d = length(s);
  return s.units > 1 ? d / static_cast<std::int64_t>(std::min<std::uint64_t>(s.units, INT64_MAX))
                     : d;
}

std::string segment_name(const trace_file& t, const trace_segment& s) {
  return std::to_string(s.id) + " (\"" + detail::printable(t.labels.at(s.label)) + "\" on " +
         detail::printable(lane_title(t, s.lane)) + ")";
}

// The edges left after Kahn's algorithm contain a cycle: every node still waiting has a
// predecessor still waiting, so walking predecessors from any of them must come back.
[[noreturn]] void report_cycle(const trace_file& t, const detail::csr& preds,
                               const std::vector<std::size_t>& indegree) {
  std::size_t v = 0;
  while (indegree[v] == 0) ++v;
  std::vector<std::size_t> seen_at(indegree.size(), SIZE_MAX);
  std::vector<std::size_t> walk;
  while (seen_at[v] == SIZE_MAX) {
    seen_at[v] = walk.size();
    walk.push_back(v);
    for (std::size_t k = preds.begin[v]; k < preds.begin[v + 1]; ++k) {
      if (indegree[preds.at[k]] != 0) {
        v = preds.at[k];
        break;
      }
    }
  }
  // walk[seen_at[v]..] is the cycle, followed backwards.
  std::vector<std::size_t> cycle(walk.begin() + static_cast<std::ptrdiff_t>(seen_at[v]),
                                 walk.end());
  std::reverse(cycle.begin(), cycle.end());
  std::string what;
  const std::size_t shown = std::min<std::size_t>(cycle.size(), 8);
  for (std::size_t i = 0; i < shown; ++i) what += segment_name(t, t.segments[cycle[i]]) + " -> ";
  what += shown < cycle.size() ? "..." : std::to_string(t.segments[cycle.front()].id);
  throw trace_error("trace: the edges form a cycle (a segment cannot wait for itself): " + what);
}

// Work and span over the DAG, with one longest path.
void work_and_span(const trace_file& t, analysis& a) {
  const std::size_t n = t.segments.size();
  for (const trace_segment& s : t.segments) a.work_ns = add(a.work_ns, length(s));
  const detail::segment_graph g = detail::build_segment_graph(t);
  a.missing_edges = g.missing_edges;
  a.edges = g.edges;
  const detail::csr& succ = g.succ;
  const detail::csr& preds = g.preds;
  std::vector<std::size_t> indegree(n);
  for (std::size_t i = 0; i < n; ++i) indegree[i] = preds.begin[i + 1] - preds.begin[i];

  // Kahn's algorithm: longest[v] is the heaviest path ending with v, its length included.
  std::vector<std::int64_t> longest(n, 0);
  std::vector<std::size_t> via(n, SIZE_MAX);
  std::vector<std::size_t> ready;
  for (std::size_t i = 0; i < n; ++i)
    if (indegree[i] == 0) ready.push_back(i);
  std::size_t done = 0;
  std::size_t last = SIZE_MAX;
  while (!ready.empty()) {
    const std::size_t v = ready.back();
    ready.pop_back();
    ++done;
    longest[v] = add(longest[v], span_length(t.segments[v]));
    if (last == SIZE_MAX || longest[v] > longest[last]) last = v;
    for (std::size_t k = succ.begin[v]; k < succ.begin[v + 1]; ++k) {
      const std::size_t w = succ.at[k];
      if (via[w] == SIZE_MAX || longest[v] > longest[w]) {
        longest[w] = longest[v];
        via[w] = v;
      }
      if (--indegree[w] == 0) ready.push_back(w);
    }
  }
  if (done != n) report_cycle(t, preds, indegree);
  if (last == SIZE_MAX) return;
  a.span_ns = longest[last];
  for (std::size_t v = last; v != SIZE_MAX; v = via[v]) a.critical_path.push_back(t.segments[v].id);
  std::reverse(a.critical_path.begin(), a.critical_path.end());
}

void usage(const trace_file& t, analysis& a) {
  a.threads.resize(t.lanes.size());
  for (std::uint32_t i = 0; i < t.lanes.size(); ++i) a.threads[i].lane = i;
  auto lane = [&](std::uint32_t l) -> thread_usage* {
    return l < a.threads.size() ? &a.threads[l] : nullptr;
  };
  for (const trace_segment& s : t.segments) {
    if (thread_usage* u = lane(s.lane)) {
      ++u->segments;
      u->busy_ns = add(u->busy_ns, length(s));
    }
  }
  std::unordered_map<std::uint32_t, wait_usage> locks, syncs;
  auto count = [](wait_usage& w, std::uint32_t label, std::int64_t d) {
    w.label = label;
    ++w.waits;
    w.wait_ns = add(w.wait_ns, d);
    w.max_wait_ns = std::max(w.max_wait_ns, d);
  };
  for (const trace_slice& s : t.slices) {
    const std::int64_t d = length(s.begin_ns, s.end_ns);
    thread_usage* u = lane(s.lane);
    switch (s.what) {
      case trace_slice::kind::parked:
        ++a.parks;
        a.parked_ns = add(a.parked_ns, d);
        if (u != nullptr) u->parked_ns = add(u->parked_ns, d);
        break;
      case trace_slice::kind::io_wait:
        ++a.io_waits;
        a.io_wait_ns = add(a.io_wait_ns, d);
        if (u != nullptr) u->io_wait_ns = add(u->io_wait_ns, d);
        break;
      case trace_slice::kind::lock_wait: {
        ++a.lock_waits;
        a.lock_wait_ns = add(a.lock_wait_ns, d);
        if (u != nullptr) u->lock_wait_ns = add(u->lock_wait_ns, d);
        count(locks[s.label], s.label, d);
        break;
      }
      case trace_slice::kind::comm_wait:
        ++a.comm_waits;
        a.comm_wait_ns = add(a.comm_wait_ns, d);
        if (u != nullptr) u->comm_wait_ns = add(u->comm_wait_ns, d);
        break;
      case trace_slice::kind::sync_wait:
        ++a.sync_waits;
        a.sync_wait_ns = add(a.sync_wait_ns, d);
        if (u != nullptr) u->sync_wait_ns = add(u->sync_wait_ns, d);
        count(syncs[s.label], s.label, d);
        break;
    }
  }
  for (auto [by_label, out] : {std::pair{&locks, &a.locks}, std::pair{&syncs, &a.syncs}}) {
    for (auto& [label, w] : *by_label) out->push_back(w);
    std::sort(out->begin(), out->end(), [](const wait_usage& x, const wait_usage& y) {
      return x.wait_ns != y.wait_ns ? x.wait_ns > y.wait_ns : x.label < y.label;
    });
  }
  for (thread_usage& u : a.threads)
    u.utilization =
        a.wall_ns > 0 ? static_cast<double>(u.busy_ns) / static_cast<double>(a.wall_ns) : 0.0;

  for (const trace_mark& m : t.marks) {
    const auto value = static_cast<std::int64_t>(std::min<std::uint64_t>(m.value, INT64_MAX));
    switch (m.what) {
      case trace_mark::kind::steal:
        ++a.steals;
        break;
      case trace_mark::kind::timer:
        ++a.timers;
        a.max_timer_late_ns = std::max(a.max_timer_late_ns, value);
        break;
      case trace_mark::kind::loop_lag:
        ++a.loop_lags;
        a.max_loop_lag_ns = std::max(a.max_loop_lag_ns, value);
        break;
    }
  }
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string percent(double fraction) {
  return fixed(fraction * 100.0, 0) + "%";
}

}  // namespace

analysis analyse(const trace_file& t) {
  analysis a;
  a.wall_ns = t.duration_ns;
  a.segments = t.segments.size();
  a.processes = t.processes;
  a.dropped_events = t.dropped_events;
  work_and_span(t, a);
  // A segment can outlast the recorded duration only in a hand-built trace; wall time is at
  // least what was recorded.
  for (const trace_segment& s : t.segments) a.wall_ns = std::max(a.wall_ns, s.end_ns);
  a.parallelism =
      a.span_ns > 0 ? static_cast<double>(a.work_ns) / static_cast<double>(a.span_ns) : 0.0;
  usage(t, a);
  return a;
}

speedup_limits speedup_bound(const analysis& a, unsigned cores) noexcept {
  speedup_limits s;
  s.cores = cores == 0 ? 1 : cores;
  if (a.work_ns <= 0 || a.span_ns <= 0) return s;
  const double work = static_cast<double>(a.work_ns);
  const double span = static_cast<double>(a.span_ns);
  const double p = s.cores;
  s.upper = work / std::max(work / p, span);
  s.greedy = work / (work / p + span);
  return s;
}

std::string format_duration(std::int64_t ns) {
  if (ns < 0) {  // appended, not "-" + ...: GCC 12 at -O3 warns (-Wrestrict, a false positive)
    std::string out(1, '-');
    out += format_duration(ns == INT64_MIN ? INT64_MAX : -ns);
    return out;
  }
  if (ns < 1000) return std::to_string(ns) + " ns";
  static const char* const units[] = {"µs", "ms", "s"};
  double v = static_cast<double>(ns) / 1000.0;
  int unit = 0;
  while (v >= 999.5 && unit < 2) {
    v /= 1000.0;
    ++unit;
  }
  // Three significant digits: 1.23, 45.6, 789.
  const int decimals = v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
  return fixed(v, decimals) + " " + units[unit];
}

std::string describe(const analysis& a, const trace_file& t) {
  std::string out;
  auto line = [&](const std::string& name, const std::string& text) {
    // Pad by code points, not bytes: "T∞" is one column on a terminal.
    std::size_t columns = 0;
    for (const char c : name) columns += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    out += name + std::string(columns < 15 ? 15 - columns : 1, ' ') + text + "\n";
  };
  if (a.lower_bounds())
    out += "warning: " + std::to_string(a.dropped_events) +
           " events were dropped (full buffers): work and span below are lower bounds; record "
           "again with a larger BRIGADE_TRACE_EVENTS\n";
  line("wall time", format_duration(a.wall_ns));
  line("work (T1)", format_duration(a.work_ns) + " in " + std::to_string(a.segments) + " segments" +
                        (a.lower_bounds() ? " (at least)" : ""));
  line("span (T∞)", format_duration(a.span_ns) + " on a critical path of " +
                        std::to_string(a.critical_path.size()) + " segments (" +
                        std::to_string(a.edges) + " edges in all)" +
                        (a.lower_bounds() ? " (at least)" : ""));
  if (a.span_ns > 0) {
    line("parallelism", fixed(a.parallelism, 2) + " (T1/T∞: no core count speeds this up more)");
    std::size_t ran = 0;  // threads that ran segments: the recorded run's core count, at most
    for (const thread_usage& u : a.threads) ran += u.segments > 0;
    if (a.wall_ns > 0)
      line("achieved", fixed(static_cast<double>(a.work_ns) / static_cast<double>(a.wall_ns), 2) +
                           " (T1/wall, on " + std::to_string(ran) + " threads)");
    std::set<unsigned> cores{2, 4, 8, 16, 64};
    if (ran > 1) cores.insert(static_cast<unsigned>(ran));
    bool first = true;
    for (unsigned p : cores) {
      const speedup_limits s = speedup_bound(a, p);
      line(first ? "speedup bound" : "", "on " + std::to_string(p) +
                                             " cores <= " + fixed(s.upper, 2) +
                                             ", a greedy scheduler >= " + fixed(s.greedy, 2));
      first = false;
    }
  }
  if (a.missing_edges > 0)
    line("missing edges",
         std::to_string(a.missing_edges) + " edges name segments outside the recording (ignored)");
  out += "threads:\n";
  // Names come from the trace file: printable, so a name cannot drive the terminal.
  std::size_t name_width = 0;
  for (const thread_usage& u : a.threads)
    name_width = std::max(name_width, detail::printable(lane_title(t, u.lane)).size());
  for (const thread_usage& u : a.threads) {
    std::string name = detail::printable(lane_title(t, u.lane));
    name.resize(name_width, ' ');
    std::string text = "  " + name + "  busy " + format_duration(u.busy_ns) + " (" +
                       percent(u.utilization) + ") in " + std::to_string(u.segments) + " segments";
    if (u.parked_ns > 0) text += ", parked " + format_duration(u.parked_ns);
    if (u.io_wait_ns > 0) text += ", waiting for I/O " + format_duration(u.io_wait_ns);
    if (u.lock_wait_ns > 0) text += ", waiting for locks " + format_duration(u.lock_wait_ns);
    if (u.comm_wait_ns > 0)
      text += ", waiting for communication " + format_duration(u.comm_wait_ns);
    if (u.sync_wait_ns > 0) text += ", waiting for signals " + format_duration(u.sync_wait_ns);
    out += text + "\n";
  }
  line("steals", std::to_string(a.steals));
  line("parks", std::to_string(a.parks) + " (" + format_duration(a.parked_ns) + ")");
  if (a.io_waits > 0)
    line("I/O waits", std::to_string(a.io_waits) + " (" + format_duration(a.io_wait_ns) + ")");
  line("lock waits", std::to_string(a.lock_waits) + " (" + format_duration(a.lock_wait_ns) + ")");
  auto top_five = [&](const std::vector<wait_usage>& waits) {
    for (std::size_t i = 0; i < waits.size() && i < 5; ++i) {
      const wait_usage& l = waits[i];
      const std::string name =
          l.label < t.labels.size() ? detail::printable(t.labels[l.label]) : "?";
      out += "  " + name + ": " + std::to_string(l.waits) + " waits, " +
             format_duration(l.wait_ns) + " in all, longest " + format_duration(l.max_wait_ns) +
             "\n";
    }
  };
  top_five(a.locks);
  if (a.sync_waits > 0) {
    line("sync waits", std::to_string(a.sync_waits) + " (" + format_duration(a.sync_wait_ns) + ")");
    top_five(a.syncs);
  }
  if (a.comm_waits > 0) {
    std::string text = std::to_string(a.comm_waits) + " (" + format_duration(a.comm_wait_ns);
    if (a.wall_ns > 0)
      text += ", " + percent(static_cast<double>(a.comm_wait_ns) / static_cast<double>(a.wall_ns)) +
              " of the wall time";
    line("comm waits", text + ")");
  }
  if (a.timers > 0)
    line("timers",
         std::to_string(a.timers) + " fired, latest by " + format_duration(a.max_timer_late_ns));
  if (a.loop_lags > 0)
    line("loop lag", std::to_string(a.loop_lags) + " long loop steps, longest " +
                         format_duration(a.max_loop_lag_ns));
  if (a.processes > 1) line("processes", std::to_string(a.processes));
  return out;
}

}  // namespace brigade::trace
