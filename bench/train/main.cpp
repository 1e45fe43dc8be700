// brigade_train_bench: examples/train's training loop with the batch gradient summed serially,
// by an OpenMP reduction and by brigade's deterministic parallel_reduce, in one process, with
// the shared harness (bench/harness/). Needs digits.csv.gz (tools/install-deps.sh --tests).
// Results are in bench/RESULTS.md.
#include "harness/options.hpp"
#include "harness/runner.hpp"
#include "harness/runtimes.hpp"
#include "train/train.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace {

using factory = bench::group (*)(const bench::config&);

const bench::workload_list<factory> workloads = {{"digits", bench::train::make_digits}};

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> names = bench::workload_names(workloads);
  bench::options o;
  try {
    o = bench::parse_options(argc, argv, names);
  } catch (const bench::usage_error& e) {
    std::fprintf(stderr, "brigade_train_bench: %s\n", e.what());
    return 2;
  }
  if (o.help) {
    std::fputs(bench::usage_text(names).c_str(), stdout);
    return 0;
  }
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
