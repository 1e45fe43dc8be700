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

const std::vector<std::pair<std::string, factory>> workloads = {
    {"wavefront", bench::graph::make_wavefront},
    {"chain", bench::graph::make_chain},
    {"random_dag", bench::graph::make_random_dag},
    {"pipeline", bench::graph::make_pipeline},
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> names;
  for (const auto& w : workloads) names.push_back(w.first);
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
  try {
    bench::graph::start_brigade(o.threads);
    bench::start_tbb(o.threads);
    std::vector<bench::result> all;
    for (const std::string& name : o.workloads)
      for (const auto& [wname, make] : workloads) {
        if (wname != name) continue;
        std::fprintf(stderr, "%s: building inputs and graphs\n", name.c_str());
        std::vector<bench::result> rs;
        {
          const bench::group g = make(bench::config{o.quick}, o.threads);
          rs = bench::run_group(g, o);
        }
        for (const bench::result& r : rs) bench::print_json(stdout, r);
        std::fflush(stdout);
        all.insert(all.end(), rs.begin(), rs.end());
      }
    bench::print_table(stdout, all);
  } catch (const bench::wrong_result& e) {
    std::fprintf(stderr, "\nbrigade_graph_bench: wrong result: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\nbrigade_graph_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
