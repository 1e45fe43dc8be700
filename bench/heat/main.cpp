// brigade_heat_bench: the heat equation's stencil (examples/heat) by brigade's parallel_for,
// an OpenMP `parallel for` and serial code, in one process, with the shared harness
// (bench/harness/). Results are in bench/RESULTS.md.
#include "harness/options.hpp"
#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "harness/runtimes.hpp"
#include "heat/heat_bench.hpp"

#include <cstdio>
#include <optional>
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
  bench::options o;
  const bench::program_info program{
      .name = "brigade_heat_bench",
      .description =
          "Runs the heat equation's stencil (examples/heat) by brigade's "
          "parallel_for, an OpenMP parallel for and serial code on the same grids "
          "in one process, interleaved within every repetition, and checks every "
          "result against the serial one. Prints one JSON line per result, then a "
          "table of medians and ratios.",
      .workloads = bench::workload_names(workloads)};
  if (const std::optional<int> status = bench::parse_command_line(program, argc, argv, o))
    return *status;
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
