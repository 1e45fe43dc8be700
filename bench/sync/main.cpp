// brigade_sync_bench: brigade's mutex and channel against std::mutex, oneTBB's
// concurrent_bounded_queue and moodycamel's BlockingConcurrentQueue, in one process, with the
// shared harness (bench/harness/). Results are in bench/RESULTS.md.
#include "harness/options.hpp"
#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "sync/sync.hpp"

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using factory = bench::sync::workload (*)(const bench::config&);

const bench::workload_list<factory> workloads = {
    {"mutex_uncontended", bench::sync::make_mutex_uncontended},
    {"mutex_contended", bench::sync::make_mutex_contended},
    {"semaphore_contended", bench::sync::make_semaphore_contended},
    {"latch", bench::sync::make_latch},
    {"channel", bench::sync::make_channel},
    {"combinable", bench::sync::make_combinable},
};

}  // namespace

int main(int argc, char** argv) {
  bench::options o;
  // The harness's --impl knows brigade/tbb/omp/serial only, and every workload here fixes its
  // own thread counts, so --threads and --impl are refused rather than half-honoured.
  const bench::program_info program{
      .name = "brigade_sync_bench",
      .description =
          "Runs brigade::mutex against std::mutex (checked mode off and on), "
          "brigade::semaphore and latch against std::counting_semaphore and std::latch, and "
          "brigade::channel against tbb::concurrent_bounded_queue and "
          "moodycamel::BlockingConcurrentQueue in one process, interleaved within "
          "every repetition, and checks every count and sum. Prints one JSON line "
          "per result, then a table of medians and ratios.",
      .workloads = bench::workload_names(workloads),
      .fixed_threads = true,
      .footer =
          "Thread counts: mutex_uncontended 1; mutex_contended 2 and nproc; "
          "semaphore_contended and latch 2 and 4; channel 2 and 8 (half producers, half "
          "consumers); combinable 1, 2 and nproc.\n"};
  if (const std::optional<int> status = bench::parse_command_line(program, argc, argv, o))
    return *status;
  o.impls = {"brigade", "checked", "std", "tbb", "moody", "ets"};
  return bench::run_workloads("brigade_sync_bench", o.workloads, [&](const std::string& name) {
    const bench::sync::workload w = bench::workload_named(workloads, name)(bench::config{o.quick});
    bench::options wo = o;
    wo.threads = w.threads;  // each workload fixes its own thread counts
    return bench::run_group(w.g, wo);
  });
}
