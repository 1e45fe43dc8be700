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
  const std::vector<std::string> names = bench::workload_names(workloads);
  bench::options o;
  try {
    o = bench::parse_options(argc, argv, names);
  } catch (const bench::usage_error& e) {
    std::fprintf(stderr, "brigade_graph_bench: %s\n", e.what());
    return 2;
  }
  if (o.help) {
    std::fputs(bench::usage_text(names).c_str(), stdout);
    return 0;
  }
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
