// brigade_bench: brigade against oneTBB, OpenMP and serial code on the same inputs, in one
// process. See bench/README.md for the workloads and the flags.
#include "fib/fib.hpp"
#include "harness/options.hpp"
#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "harness/runtimes.hpp"
#include "mandelbrot/mandelbrot.hpp"
#include "reduce/reduce.hpp"
#include "sort/sort.hpp"
#include "uts/uts.hpp"

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

const bench::workload_list<bench::factory> workloads = {
    {"fib", bench::fib::make},       {"mandelbrot", bench::mandelbrot::make},
    {"reduce", bench::reduce::make}, {"sort", bench::sort::make},
    {"uts", bench::uts::make},
};

// Other busy processes make every timing noisy: say so up front.
void warn_if_busy() {
  double load = 0;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = 0;
    std::fclose(f);
  }
  if (load > 0.5)
    std::fprintf(stderr,
                 "brigade_bench: warning: load average %.2f before starting; other processes "
                 "are running and timings will be noisy\n",
                 load);
}

}  // namespace

int main(int argc, char** argv) {
  bench::options o;
  const bench::program_info program{
      .name = "brigade_bench",
      .description =
          "Runs brigade and its peers (oneTBB, OpenMP, serial) on the same inputs in "
          "one process, interleaved within every repetition, and checks every result "
          "against the serial one. Prints one JSON line per result, then a table of "
          "medians and ratios.",
      .workloads = bench::workload_names(workloads)};
  if (const std::optional<int> status = bench::parse_command_line(program, argc, argv, o))
    return *status;

  warn_if_busy();
  bool started = false;
  return bench::run_workloads("brigade_bench", o.workloads, [&](const std::string& name) {
    if (!started) {  // before the first workload, inside run_workloads' error handling
      bench::start_runtimes(o.threads);
      started = true;
    }
    std::fprintf(stderr, "%s: preparing inputs\n", name.c_str());
    const bench::group g = bench::workload_named(workloads, name)(bench::config{o.quick});
    return bench::run_group(g, o);
  });
}
