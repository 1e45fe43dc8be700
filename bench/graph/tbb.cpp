// The graphs with oneTBB's flow graph (one continue_node per task) and the pipeline with
// tbb::parallel_pipeline, in a task_arena of `threads` slots (the calling thread is one).
#include "graph/graph.hpp"
#include "harness/tbb_arena.hpp"

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/parallel_pipeline.h>

#include <deque>
#include <memory>

namespace bench::graph {
namespace {

using tbb::flow::continue_msg;

class tbb_graph final : public graph_runner {
 public:
  // Built inside the arena: the flow graph attaches to the arena it is constructed in.
  tbb_graph(const shape& s, std::uint64_t* value) : start_(g_) {
    for (std::uint32_t v = 0; v < s.n; ++v)
      nodes_.emplace_back(g_, [&s, value, v](const continue_msg&) { compute(s, value, v); });
    for (std::uint32_t v = 0; v < s.n; ++v) {
      if (s.pred_begin[v] == s.pred_begin[v + 1]) tbb::flow::make_edge(start_, nodes_[v]);
      for (std::uint32_t e = s.pred_begin[v]; e < s.pred_begin[v + 1]; ++e)
        tbb::flow::make_edge(nodes_[s.preds[e]], nodes_[v]);
    }
  }
  void run(int threads) override {
    tbb_arena(threads).execute([this] {
      start_.try_put(continue_msg());
      g_.wait_for_all();
    });
  }

 private:
  tbb::flow::graph g_;
  tbb::flow::broadcast_node<continue_msg> start_;  // fires every task without predecessors
  std::deque<tbb::flow::continue_node<continue_msg>> nodes_;
};

}  // namespace

std::unique_ptr<graph_runner> make_tbb_graph(const shape& s, std::uint64_t* value, int threads) {
  std::unique_ptr<graph_runner> g;
  tbb_arena(threads).execute([&] { g = std::make_unique<tbb_graph>(s, value); });
  return g;
}

std::uint64_t pipeline_tbb(const pipeline_input& in, int threads) {
  std::uint64_t next = 0, expected = 0, sum = 0;
  bool in_order = true;
  using item = std::pair<std::uint64_t, std::uint64_t>;
  tbb_arena(threads).execute([&] {
    tbb::parallel_pipeline(
        in.tokens,
        tbb::make_filter<void, std::uint64_t>(tbb::filter_mode::serial_in_order,
                                              [&](tbb::flow_control& fc) -> std::uint64_t {
                                                if (next == in.items) {
                                                  fc.stop();
                                                  return 0;
                                                }
                                                return next++;
                                              }) &
            tbb::make_filter<std::uint64_t, item>(tbb::filter_mode::parallel,
                                                  [&](std::uint64_t i) {
                                                    return item{i, item_work(i, in.spin)};
                                                  }) &
            tbb::make_filter<item, void>(tbb::filter_mode::serial_in_order, [&](item r) {
              in_order = in_order && r.first == expected++;
              sum += r.second;
            }));
  });
  return in_order ? sum : 0;
}

}  // namespace bench::graph
