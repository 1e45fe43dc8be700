// What a workload hands the harness: series of timed implementations with their checks, and
// what the harness hands back: one result per series, implementation and thread count.
//
// A workload is a factory returning a `group`. The group owns the inputs (captured by its
// functions), so they are built once and freed when the group is done. Every series of a group
// runs interleaved with the others within each repetition.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace bench {

/// Input sizes: the full ones of bench/README.md, or CI-sized ones with --quick.
struct config {
  bool quick = false;
};

/// One implementation of a series, as the harness drives it.
struct impl_run {
  std::string impl;                      // "brigade", "tbb", "omp" or "serial"
  std::function<void(int threads)> run;  // the timed part; serial ignores threads
  std::function<void()> before;          // untimed, before every run: fresh input (may be empty)
  std::function<std::string()> check;    // untimed, after every run: "" or what is wrong
};

/// One thing measured: a workload or one variant of it ("sort_greater").
struct series {
  std::string name;   // the JSON "workload"
  std::string input;  // the input in words, e.g. "fib(32), no cutoff"
  std::vector<impl_run> impls;
  bool reference = false;  // a machine figure (STREAM triad): runs whatever --impl says
};

/// Numbers a workload adds to a result, printed in this order.
using extras = std::vector<std::pair<std::string, double>>;

/// The measurements of one series × implementation × thread count.
struct result {
  std::string workload;
  std::string input;
  std::string impl;
  int threads = 1;
  std::vector<double> seconds;  // one per repetition, in order
  double median = 0;
  double min = 0;
  double vs_brigade = 0;  // median / brigade's median at the same thread count; 0 if none
  double vs_serial = 0;   // serial's median / median (speedup); 0 if no serial
  extras extra;
};

/// Finds the result for (workload, impl, threads); serial matches any thread count.
const result* find_result(const std::vector<result>& rs, const std::string& workload,
                          const std::string& impl, int threads);

/// What a workload factory returns.
struct group {
  std::vector<series> all;
  /// Adds workload-specific numbers once every repetition is done (may be empty).
  std::function<void(std::vector<result>&)> annotate;
};

using factory = group (*)(const config&);

}  // namespace bench
