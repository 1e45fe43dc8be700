// Task graphs and pipelines against oneTBB: the DAG shapes (as predecessor lists), the tiny
// per-task kernel every implementation calls, the pipeline's item work, and one entry point
// per implementation. The workloads for the harness are in workload.cpp.
#pragma once

#include "harness/suite.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bench::graph {

/// A DAG whose tasks are numbered in a topological order: every predecessor of task v has a
/// smaller number. Task v's predecessors are preds[pred_begin[v] .. pred_begin[v + 1]).
struct shape {
  std::string name;
  std::string input;  // in words, for the report
  std::uint32_t n = 0;
  std::vector<std::uint32_t> pred_begin;
  std::vector<std::uint32_t> preds;
};

/// rows × cols cells, each after its left and upper neighbour.
shape wavefront(std::uint32_t rows, std::uint32_t cols);
/// n tasks, each after the one before.
shape chain(std::uint32_t n);
/// n tasks, each after 0-4 random earlier ones (half close by, half anywhere).
shape random_dag(std::uint32_t n, std::uint64_t seed);

inline std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

/// Task v's work, a few nanoseconds: combine the predecessors' values into its own.
inline void compute(const shape& s, std::uint64_t* value, std::uint32_t v) {
  std::uint64_t acc = v;
  for (std::uint32_t e = s.pred_begin[v]; e < s.pred_begin[v + 1]; ++e) acc += value[s.preds[e]];
  value[v] = mix(acc);
}

/// A graph built once (untimed) and run many times by one implementation on `threads`.
class graph_runner {
 public:
  virtual ~graph_runner() = default;
  virtual void run(int threads) = 0;
};

/// brigade::task_graph (one graph for every thread count: it is not tied to a pool).
std::unique_ptr<graph_runner> make_brigade_graph(const shape& s, std::uint64_t* value);
/// tbb::flow::graph with one continue_node per task, built inside the arena of `threads`
/// (a flow graph runs in the arena it was built in).
std::unique_ptr<graph_runner> make_tbb_graph(const shape& s, std::uint64_t* value, int threads);

/// The pipeline: a serial source numbering `items` items, a parallel stage doing about 10 µs
/// of work per item, and a serial in-order sink that checks the order and sums the results.
struct pipeline_input {
  std::uint64_t items = 0;
  std::uint64_t spin = 0;  // iterations of item_work's loop
  std::size_t tokens = 0;  // items in flight (the same for every implementation)
};
std::uint64_t item_work(std::uint64_t i, std::uint64_t spin);
/// Each returns the sum of item_work over the items, or 0 if the sink saw them out of order.
std::uint64_t pipeline_serial(const pipeline_input& in);
std::uint64_t pipeline_brigade(const pipeline_input& in, int threads);
std::uint64_t pipeline_tbb(const pipeline_input& in, int threads);

/// Creates brigade's pools for these thread counts and wakes their workers once (brigade.cpp).
void start_brigade(const std::vector<int>& threads);

/// Allocations through operator new while counting is on (alloc_count.cpp).
void count_allocations(bool on);
long allocations();

/// The workloads: the shapes built once and reused, rebuilt every run, and the pipeline.
/// `threads` are the thread counts that will be measured (TBB graphs are built per arena).
group make_wavefront(const config& c, const std::vector<int>& threads);
group make_chain(const config& c, const std::vector<int>& threads);
group make_random_dag(const config& c, const std::vector<int>& threads);
group make_pipeline(const config& c, const std::vector<int>& threads);

}  // namespace bench::graph
