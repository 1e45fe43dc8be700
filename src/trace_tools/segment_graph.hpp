// The segments of a trace as a graph: indexes into trace_file::segments, and the recorded edges
// between them as compressed adjacency both ways. Shared by the analysis (work and span) and
// the prediction (a greedy schedule replayed at P workers).
#pragma once

#include <brigade/trace_tools/trace_file.hpp>

#include <cstddef>
#include <vector>

namespace brigade::trace::detail {

/// Adjacency in compressed rows: the neighbours of node i are at[begin[i] .. begin[i + 1]).
struct csr {
  std::vector<std::size_t> begin;
  std::vector<std::size_t> at;
};

struct segment_graph {
  csr succ;                       // successors of each segment
  csr preds;                      // predecessors of each segment
  std::size_t edges = 0;          // distinct edges between recorded segments
  std::size_t missing_edges = 0;  // edges naming a segment not in the trace (left out)
};

/// Errors: trace_error when one process uses a segment id twice.
segment_graph build_segment_graph(const trace_file& t);

}  // namespace brigade::trace::detail
