// brigade_graph_bench: brigade's task graphs and pipelines against oneTBB's flow graph and
// parallel_pipeline, in one process, with the shared harness (bench/harness/). Results are in
// bench/RESULTS.md.
#include "graph/graph.hpp"
#include "harness/options.hpp"
#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "harness/runtimes.hpp"

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using factory = bench::group (*)(const bench::config&, const std::vector<int>&);

const bench::workload_list<factory> workloads = {
    {"wavefront", bench::graph::make_wavefront},
    {"chain", bench::graph::make_chain},
    {"random_dag", bench::graph::make_random_dag},
    {"pipeline", bench::graph::make_pipeline},
};

}  // namespace

int main(int argc, char** argv) {
  bench::options o;
  const bench::program_info program{
      .name = "brigade_graph_bench",
      .description =
          "Runs brigade's task graphs and pipelines against oneTBB's flow graph and "
          "parallel_pipeline on the same inputs in one process, interleaved within "
          "every repetition, and checks every result. Prints one JSON line per "
          "result, then a table of medians and ratios.",
      .workloads = bench::workload_names(workloads)};
  if (const std::optional<int> status = bench::parse_command_line(program, argc, argv, o))
    return *status;
  bool started = false;
  return bench::run_workloads("brigade_graph_bench", o.workloads, [&](const std::string& name) {
    if (!started) {  // before the first workload, inside run_workloads' error handling
      bench::graph::start_brigade(o.threads);
      bench::start_tbb(o.threads);
      started = true;
    }
    std::fprintf(stderr, "%s: building inputs and graphs\n", name.c_str());
    // The group (its graphs and inputs) is freed before the next workload is built.
    const bench::group g =
        bench::workload_named(workloads, name)(bench::config{o.quick}, o.threads);
    return bench::run_group(g, o);
  });
}
