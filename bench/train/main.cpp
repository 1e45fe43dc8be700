// brigade_train_bench: examples/train's training loop with the batch gradient summed serially,
// by an OpenMP reduction and by brigade's deterministic parallel_reduce, in one process, with
// the shared harness (bench/harness/). Needs digits.csv.gz (tools/install-deps.sh --tests).
// Results are in bench/RESULTS.md.
#include "harness/options.hpp"
#include "harness/runner.hpp"
#include "harness/runtimes.hpp"
#include "train/train.hpp"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace {

using factory = bench::group (*)(const bench::config&);

const bench::workload_list<factory> workloads = {{"digits", bench::train::make_digits}};

}  // namespace

int main(int argc, char** argv) {
  bench::options o;
  const bench::program_info program{
      .name = "brigade_train_bench",
      .description =
          "Runs examples/train's training loop with the batch gradient summed "
          "serially, by an OpenMP reduction and by brigade's deterministic "
          "parallel_reduce in one process, interleaved within every repetition, "
          "and checks every final loss against the serial one. Prints one JSON "
          "line per result, then a table of medians and ratios.",
      .workloads = bench::workload_names(workloads)};
  if (const std::optional<int> status = bench::parse_command_line(program, argc, argv, o))
    return *status;
  bool started = false;
  return bench::run_workloads("brigade_train_bench", o.workloads, [&](const std::string& name) {
    if (!started) {  // inside run_workloads' error handling
      bench::train::start_brigade(o.threads);
      bench::start_omp(o.threads);
      started = true;
    }
    const bench::group g = bench::workload_named(workloads, name)(bench::config{o.quick});
    return bench::run_group(g, o);
  });
}
