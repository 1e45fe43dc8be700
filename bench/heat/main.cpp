// brigade_heat_bench: the heat equation's stencil (examples/heat) by brigade's parallel_for,
// an OpenMP `parallel for` and serial code, in one process, with the shared harness
// (bench/harness/). Results are in bench/RESULTS.md.
#include "harness/options.hpp"
#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "harness/runtimes.hpp"
#include "heat/heat_bench.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace {

using factory = bench::group (*)(const bench::config&);

const bench::workload_list<factory> workloads = {
    {"heat", bench::heat_bench::make_dram},
    {"heat_cache", bench::heat_bench::make_cache},
};

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> names = bench::workload_names(workloads);
  bench::options o;
  try {
    o = bench::parse_options(argc, argv, names);
  } catch (const bench::usage_error& e) {
    std::fprintf(stderr, "brigade_heat_bench: %s\n", e.what());
    return 2;
  }
  if (o.help) {
    std::fputs(bench::usage_text(names).c_str(), stdout);
    return 0;
  }
  bool started = false;
  return bench::run_workloads("brigade_heat_bench", o.workloads, [&](const std::string& name) {
    if (!started) {  // before the first workload, inside run_workloads' error handling
      bench::start_runtimes(o.threads);
      started = true;
    }
    std::fprintf(stderr, "%s: building the grid and the serial reference\n", name.c_str());
    const bench::group g = bench::workload_named(workloads, name)(bench::config{o.quick});
    return bench::run_group(g, o);
  });
}
