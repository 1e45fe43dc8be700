// The graphs with brigade::task_graph and the pipeline with brigade::parallel_pipeline, on a
// brigade::pool of exactly `threads` workers (the calling thread sleeps meanwhile).
#include "graph/graph.hpp"

#include <brigade/par/parallel_for.hpp>
#include <brigade/par/pipeline.hpp>
#include <brigade/par/task_graph.hpp>
#include <brigade/pool/pool.hpp>

#include <map>
#include <optional>
#include <vector>

namespace bench::graph {
namespace {

class brigade_graph final : public graph_runner {
 public:
  brigade_graph(const shape& s, std::uint64_t* value) {
    std::vector<brigade::graph_task> task;
    task.reserve(s.n);
    for (std::uint32_t v = 0; v < s.n; ++v)
      task.push_back(g_.add([&s, value, v] { compute(s, value, v); }));
    for (std::uint32_t v = 0; v < s.n; ++v)
      for (std::uint32_t e = s.pred_begin[v]; e < s.pred_begin[v + 1]; ++e)
        task[s.preds[e]].precede(task[v]);
  }
  void run(int threads) override { g_.run(pool_of(threads)); }

  static brigade::pool& pool_of(int threads) {
    static std::map<int, std::unique_ptr<brigade::pool>> pools;
    auto& p = pools[threads];
    if (!p) p = std::make_unique<brigade::pool>(static_cast<std::size_t>(threads));
    return *p;
  }

 private:
  brigade::task_graph g_;
};

}  // namespace

void start_brigade(const std::vector<int>& threads) {
  for (int t : threads)
    brigade::parallel_for(0, 1 << 16, [](std::size_t) {}, {.pool = &brigade_graph::pool_of(t)});
}

std::unique_ptr<graph_runner> make_brigade_graph(const shape& s, std::uint64_t* value) {
  return std::make_unique<brigade_graph>(s, value);
}

std::uint64_t pipeline_brigade(const pipeline_input& in, int threads) {
  std::uint64_t next = 0, expected = 0, sum = 0;
  bool in_order = true;
  brigade::parallel_pipeline(
      brigade_graph::pool_of(threads), in.tokens,
      [&]() -> std::optional<std::uint64_t> {
        if (next == in.items) return std::nullopt;
        return next++;
      },
      brigade::stage(brigade::stage_mode::parallel,
                     [&](std::uint64_t i) {
                       return std::pair{i, item_work(i, in.spin)};
                     }),
      brigade::stage(brigade::stage_mode::serial_in_order,
                     [&](std::pair<std::uint64_t, std::uint64_t> r) {
                       in_order = in_order && r.first == expected++;
                       sum += r.second;
                     }));
  return in_order ? sum : 0;
}

}  // namespace bench::graph
