// Building a trace's segment graph: ids (unique per process) to indexes, edges deduplicated.
#include "segment_graph.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>

namespace brigade::trace::detail {
namespace {

// Segment ids are unique per process only, so the key carries both.
struct segment_key {
  std::uint32_t process;
  std::uint64_t id;
  bool operator==(const segment_key&) const = default;
};
struct segment_key_hash {
  std::size_t operator()(const segment_key& k) const noexcept {
    return std::hash<std::uint64_t>{}(k.id * 0x9e3779b97f4a7c15ULL ^ k.process);
  }
};

csr make_csr(std::size_t nodes, const std::vector<std::pair<std::size_t, std::size_t>>& edges,
             bool reversed) {
  csr g;
  g.begin.assign(nodes + 1, 0);
  for (const auto& [from, to] : edges) ++g.begin[(reversed ? to : from) + 1];
  for (std::size_t i = 0; i < nodes; ++i) g.begin[i + 1] += g.begin[i];
  g.at.resize(edges.size());
  std::vector<std::size_t> fill(g.begin.begin(), g.begin.end() - 1);
  for (const auto& [from, to] : edges) {
    if (reversed)
      g.at[fill[to]++] = from;
    else
      g.at[fill[from]++] = to;
  }
  return g;
}

}  // namespace

segment_graph build_segment_graph(const trace_file& t) {
  const std::size_t n = t.segments.size();
  std::unordered_map<segment_key, std::size_t, segment_key_hash> index;
  index.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const trace_segment& s = t.segments[i];
    const std::uint32_t process = s.lane < t.lanes.size() ? t.lanes[s.lane].process : 0;
    if (!index.emplace(segment_key{process, s.id}, i).second)
      throw trace_error("trace: segment id " + std::to_string(s.id) + " is used twice");
  }
  segment_graph g;
  std::vector<std::pair<std::size_t, std::size_t>> edges;
  edges.reserve(t.edges.size());
  for (const trace_edge& e : t.edges) {
    const auto from = index.find({e.process, e.from});
    const auto to = index.find({e.process, e.to});
    if (from == index.end() || to == index.end()) {
      ++g.missing_edges;  // an end fell outside the recording (or its events were dropped)
      continue;
    }
    edges.emplace_back(from->second, to->second);
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  g.edges = edges.size();
  g.succ = make_csr(n, edges, false);
  g.preds = make_csr(n, edges, true);
  return g;
}

}  // namespace brigade::trace::detail
