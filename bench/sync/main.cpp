// brigade_sync_bench: brigade's mutex and channel against std::mutex, oneTBB's
// concurrent_bounded_queue and moodycamel's BlockingConcurrentQueue, in one process, with the
// shared harness (bench/harness/). Results are in bench/RESULTS.md.
#include "harness/options.hpp"
#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "sync/sync.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace {

using factory = bench::sync::workload (*)(const bench::config&);

const bench::workload_list<factory> workloads = {
    {"mutex_uncontended", bench::sync::make_mutex_uncontended},
    {"mutex_contended", bench::sync::make_mutex_contended},
    {"channel", bench::sync::make_channel},
};

// The harness's --impl knows brigade/tbb/omp/serial only, and every workload here fixes its
// own thread counts, so these two flags are refused rather than half-honoured.
void refuse_unsupported(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    for (const std::string flag : {"--threads", "--impl"}) {
      const std::string arg = argv[i];
      if (arg == flag || arg.rfind(flag + "=", 0) == 0)
        throw bench::usage_error(flag +
                                 " is not supported here: every implementation runs at "
                                 "fixed thread counts (see --help)");
    }
}

const char* usage =
    "usage: brigade_sync_bench [--reps K] [--workload NAME,...] [--quick] [--help]\n"
    "Runs brigade::mutex against std::mutex (checked mode off and on) and brigade::channel\n"
    "against tbb::concurrent_bounded_queue and moodycamel::BlockingConcurrentQueue in one\n"
    "process, interleaved within every repetition, and checks every count and sum. Prints one\n"
    "JSON line per result, then a table of medians and ratios.\n"
    "  --reps K            repetitions of every measurement (default 5)\n"
    "  --workload NAME,... mutex_uncontended,mutex_contended,channel (default: all)\n"
    "  --quick             tiny inputs: a smoke test of a few seconds\n"
    "Thread counts: mutex_uncontended 1; mutex_contended 2 and nproc; channel 2 and 8\n"
    "(half producers, half consumers).\n"
    "Exit status: 0 success, 1 a wrong result or a failure, 2 a bad command line.\n";

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> names = bench::workload_names(workloads);
  bench::options o;
  try {
    refuse_unsupported(argc, argv);
    o = bench::parse_options(argc, argv, names);
  } catch (const bench::usage_error& e) {
    std::fprintf(stderr, "brigade_sync_bench: %s\n", e.what());
    return 2;
  }
  if (o.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  o.impls = {"brigade", "checked", "std", "tbb", "moody"};
  return bench::run_workloads("brigade_sync_bench", o.workloads, [&](const std::string& name) {
    const bench::sync::workload w = bench::workload_named(workloads, name)(bench::config{o.quick});
    bench::options wo = o;
    wo.threads = w.threads;  // each workload fixes its own thread counts
    return bench::run_group(w.g, wo);
  });
}
