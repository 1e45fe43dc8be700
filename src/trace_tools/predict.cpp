// The greedy replay behind brigade::trace::predict.
#include <brigade/trace_tools/predict.hpp>

#include "printable.hpp"
#include "segment_graph.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <queue>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace brigade::trace {
namespace {

constexpr std::size_t none = static_cast<std::size_t>(-1);

// Each segment's predecessor that ended last in the recording (the one that made it ready);
// none for a segment without one.
std::vector<std::size_t> recorded_last(const trace_file& t, const detail::segment_graph& g) {
  std::vector<std::size_t> last(t.segments.size(), none);
  for (std::size_t to = 0; to < t.segments.size(); ++to) {
    for (std::size_t k = g.preds.begin[to]; k < g.preds.begin[to + 1]; ++k) {
      const std::size_t from = g.preds.at[k];
      if (last[to] == none || t.segments[from].end_ns > t.segments[last[to]].end_ns)
        last[to] = from;
    }
  }
  return last;
}

// The median delay between a segment becoming ready on one thread and starting on another. A
// segment is ready when its last predecessor ends, so only the edge from that one counts: the
// gap after an earlier predecessor is waiting for the others, not the cost of the move.
std::int64_t measured_burden(const trace_file& t, const std::vector<std::size_t>& last) {
  std::vector<std::int64_t> gaps;
  for (std::size_t to = 0; to < t.segments.size(); ++to) {
    if (last[to] == none) continue;
    const trace_segment& a = t.segments[last[to]];
    const trace_segment& b = t.segments[to];
    if (a.lane != b.lane) gaps.push_back(std::max<std::int64_t>(0, b.begin_ns - a.end_ns));
  }
  if (gaps.empty()) return 0;
  auto mid = gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2);
  std::nth_element(gaps.begin(), mid, gaps.end());
  return *mid;
}

// When each lane waited for communication or a signal, and also for I/O (a loop blocked in
// epoll or io_uring) when `io` is set, as disjoint stretches in time order.
class lane_waits {
 public:
  lane_waits(const trace_file& t, bool io) : by_lane_(t.lanes.size()) {
    for (const trace_slice& s : t.slices) {
      const bool wait = s.what == trace_slice::kind::comm_wait ||
                        s.what == trace_slice::kind::sync_wait ||
                        (io && s.what == trace_slice::kind::io_wait);
      if (wait && s.lane < by_lane_.size() && s.end_ns > s.begin_ns)
        by_lane_[s.lane].push_back({s.begin_ns, s.end_ns});
    }
    for (std::vector<stretch>& v : by_lane_) {
      std::sort(v.begin(), v.end(),
                [](const stretch& a, const stretch& b) { return a.begin < b.begin; });
      std::size_t kept = 0;  // merge overlaps (comm waits may run side by side)
      for (const stretch& x : v) {
        if (kept > 0 && x.begin <= v[kept - 1].end)
          v[kept - 1].end = std::max(v[kept - 1].end, x.end);
        else
          v[kept++] = x;
      }
      v.resize(kept);
    }
  }

  /// How long after `from` the last wait of `lane` that overlaps (from, to) ended (at most
  /// `to`): when the event that ended it came. 0 when the lane did not wait in between.
  std::int64_t last_end(std::uint32_t lane, std::int64_t from, std::int64_t to) const {
    if (lane >= by_lane_.size() || to <= from) return 0;
    const std::vector<stretch>& v = by_lane_[lane];
    // The last stretch that begins before `to`; it overlaps when it ends after `from`.
    auto after = std::lower_bound(v.begin(), v.end(), to,
                                  [](const stretch& s, std::int64_t x) { return s.begin < x; });
    if (after == v.begin()) return 0;
    const stretch& s = *(after - 1);
    return s.end > from ? std::min(s.end, to) - from : 0;
  }

 private:
  struct stretch {
    std::int64_t begin, end;
  };
  std::vector<std::vector<stretch>> by_lane_;
};

// The index in g.preds of the edge from -> to (to's predecessors are few).
std::size_t edge_index(const detail::segment_graph& g, std::size_t from, std::size_t to) {
  for (std::size_t k = g.preds.begin[to]; k < g.preds.begin[to + 1]; ++k)
    if (g.preds.at[k] == from) return k;
  return none;
}

// The latency each edge keeps in the replay, aligned with g.preds. A segment that started after
// its thread waited for I/O, communication or a signal was waiting for what ended that wait; so
// was one whose predecessor's thread waited for communication or a signal in between (such a
// wait sits where it began, and the coroutine may resume on another thread). On the edge from its
// last predecessor, the time from that one's end to the end of the last such wait stays, whatever
// the schedule. (A loop that blocks after its segment ended is only idle: no latency of a segment
// elsewhere.) A timer that names the segment its sleeper slept after gives the latency of that edge
// exactly: from the segment's end to the deadline, even when the loop was busy, not waiting,
// when it came, and even when another predecessor ended later in the recording.
std::vector<std::int64_t> edge_latencies(const trace_file& t, const detail::segment_graph& g,
                                         const std::vector<std::size_t>& last) {
  const lane_waits any(t, true), comm(t, false);
  std::vector<std::int64_t> lat(g.preds.at.size(), 0);
  for (std::size_t to = 0; to < t.segments.size(); ++to) {
    if (last[to] == none) continue;
    const trace_segment& a = t.segments[last[to]];
    const trace_segment& b = t.segments[to];
    const std::int64_t w = std::max(any.last_end(b.lane, a.end_ns, b.begin_ns),
                                    comm.last_end(a.lane, a.end_ns, b.begin_ns));
    if (const std::size_t k = edge_index(g, last[to], to); w > 0 && k != none) lat[k] = w;
  }
  // Timers: the sleeper's segment by (process, id), then the edges to its continuation.
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::size_t> slept_after;
  for (const trace_mark& m : t.marks)
    if (m.what == trace_mark::kind::timer && m.after != 0 && m.lane < t.lanes.size())
      slept_after.emplace(std::pair{t.lanes[m.lane].process, m.after}, none);
  if (slept_after.empty()) return lat;
  for (std::size_t i = 0; i < t.segments.size(); ++i) {
    const trace_segment& s = t.segments[i];
    if (s.lane >= t.lanes.size()) continue;
    const auto it = slept_after.find({t.lanes[s.lane].process, s.id});
    if (it != slept_after.end()) it->second = i;
  }
  for (const trace_mark& m : t.marks) {
    if (m.what != trace_mark::kind::timer || m.after == 0 || m.lane >= t.lanes.size()) continue;
    const std::size_t a = slept_after.at({t.lanes[m.lane].process, m.after});
    if (a == none) continue;  // its segment fell outside the recording
    const std::int64_t deadline = m.time_ns - static_cast<std::int64_t>(m.value);
    const std::int64_t slept = deadline - t.segments[a].end_ns;
    for (std::size_t k = g.succ.begin[a]; k < g.succ.begin[a + 1]; ++k) {
      const std::size_t s = g.succ.at[k];
      const std::size_t e = edge_index(g, a, s);
      // Not what the sleeper went on with when it began before the deadline.
      if (e != none && t.segments[s].begin_ns >= deadline) lat[e] = std::max(lat[e], slept);
    }
  }
  return lat;
}

// Each segment's duration in the replay, what-ifs applied.
std::vector<std::int64_t> durations(const trace_file& t, const prediction_options& o) {
  std::vector<double> factor_of_label(t.labels.size(), 1.0);
  for (const what_if& w : o.what_ifs) {
    if (!std::isfinite(w.factor) || w.factor < 0)
      throw std::invalid_argument("trace::predict: what-if factor " + std::to_string(w.factor) +
                                  " for \"" + detail::printable(w.label) +
                                  "\" is invalid: expected a finite number >= 0");
    bool found = false;
    for (std::size_t l = 0; l < t.labels.size(); ++l) {
      if (t.labels[l] == w.label) {
        factor_of_label[l] *= w.factor;
        found = true;
      }
    }
    if (!found)
      throw std::invalid_argument("trace::predict: no segment is labelled \"" +
                                  detail::printable(w.label) + "\" (what-if)");
  }
  std::vector<std::int64_t> d(t.segments.size());
  for (std::size_t i = 0; i < t.segments.size(); ++i) {
    const trace_segment& s = t.segments[i];
    const double f = s.label < factor_of_label.size() ? factor_of_label[s.label] : 1.0;
    d[i] = static_cast<std::int64_t>(
        std::llround(static_cast<double>(std::max<std::int64_t>(0, s.duration_ns())) * f));
  }
  return d;
}

std::int64_t replay(const trace_file& t, const detail::segment_graph& g,
                    const std::vector<std::int64_t>& duration,
                    const std::vector<std::int64_t>& latency, unsigned workers,
                    std::int64_t burden) {
  const std::size_t n = t.segments.size();
  std::int64_t origin = INT64_MAX;
  for (const trace_segment& s : t.segments) origin = std::min(origin, s.begin_ns);

  // A job is one segment, or one of the parts of a divisible piece split over the workers.
  struct job {
    std::int64_t ready;
    std::size_t node;
    std::int64_t length;
    unsigned preferred;  // the worker that made it ready (no burden there); workers: none
    bool operator>(const job& o) const noexcept {
      return std::tie(ready, node) > std::tie(o.ready, o.node);
    }
  };
  std::priority_queue<job, std::vector<job>, std::greater<>> ready;
  std::vector<std::size_t> waiting(n), parts_left(n);
  std::vector<std::int64_t> done_at(n, 0);
  std::vector<unsigned> ran_on(n, workers);
  auto release = [&](std::size_t v, std::int64_t at, unsigned by) {
    const std::uint64_t units = t.segments[v].units;
    const std::size_t parts =
        units > 1 ? static_cast<std::size_t>(std::min<std::uint64_t>(units, workers)) : 1;
    parts_left[v] = parts;
    const std::int64_t each = duration[v] / static_cast<std::int64_t>(parts);
    for (std::size_t p = 0; p < parts; ++p)
      ready.push(
          {at, v, p + 1 == parts ? duration[v] - each * static_cast<std::int64_t>(p) : each, by});
  };
  for (std::size_t v = 0; v < n; ++v) {
    waiting[v] = g.preds.begin[v + 1] - g.preds.begin[v];
    if (waiting[v] == 0) release(v, t.segments[v].begin_ns - origin, workers);
  }
  // Workers by the time they are free, ties by index.
  std::set<std::pair<std::int64_t, unsigned>> free_at;
  std::vector<std::int64_t> worker_free(workers, 0);
  for (unsigned w = 0; w < workers; ++w) free_at.insert({0, w});
  std::int64_t end = 0;
  std::size_t finished = 0;
  while (!ready.empty()) {
    const job j = ready.top();
    ready.pop();
    // On the worker that made it ready, or on the one free first, after the burden.
    const auto [first_free, first] = *free_at.begin();
    unsigned w = first;
    const bool moves = j.preferred < workers && j.preferred != first;
    std::int64_t start = std::max(j.ready + (moves ? burden : 0), first_free);
    if (moves) {
      const std::int64_t there = std::max(j.ready, worker_free[j.preferred]);
      if (there <= start) {
        w = j.preferred;
        start = there;
      }
    }
    const std::int64_t finish = start + j.length;
    free_at.erase({worker_free[w], w});
    worker_free[w] = finish;
    free_at.insert({finish, w});
    end = std::max(end, finish);
    if (finish >= done_at[j.node]) {
      done_at[j.node] = finish;
      ran_on[j.node] = w;
    }
    if (--parts_left[j.node] != 0) continue;
    ++finished;
    const std::size_t v = j.node;
    for (std::size_t k = g.succ.begin[v]; k < g.succ.begin[v + 1]; ++k) {
      const std::size_t s = g.succ.at[k];
      if (--waiting[s] == 0) {
        // Ready when its last predecessor is done, plus the latency the recording shows on that
        // edge (a wait: it stays); it prefers that predecessor's worker.
        std::int64_t at = 0;
        std::size_t last = v;
        for (std::size_t q = g.preds.begin[s]; q < g.preds.begin[s + 1]; ++q) {
          const std::int64_t due = done_at[g.preds.at[q]] + latency[q];
          if (due >= at) {
            at = due;
            last = g.preds.at[q];
          }
        }
        release(s, at, ran_on[last]);
      }
    }
  }
  if (finished != n)
    throw trace_error("trace: the edges form a cycle (a segment cannot wait for itself)");
  return end;
}

}  // namespace

predictions predict(const trace_file& t, const std::vector<unsigned>& workers,
                    const prediction_options& options) {
  for (unsigned p : workers)
    if (p == 0)
      throw std::invalid_argument("trace::predict: 0 workers: expected a worker count >= 1");
  const std::vector<std::int64_t> duration = durations(t, options);
  const detail::segment_graph g = detail::build_segment_graph(t);
  const std::vector<std::size_t> last = recorded_last(t, g);
  // The latency of each edge, aligned with g.preds (waits for I/O, communication, signals and
  // timers).
  const std::vector<std::int64_t> latency = edge_latencies(t, g, last);
  predictions out;
  out.burden_ns = options.burden_ns >= 0 ? options.burden_ns : measured_burden(t, last);
  for (std::int64_t w : latency) out.waits_ns += w;
  for (unsigned p : workers)
    out.at.push_back({p, replay(t, g, duration, latency, p, out.burden_ns)});
  return out;
}

}  // namespace brigade::trace
