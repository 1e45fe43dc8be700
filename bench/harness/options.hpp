// The command line every benchmark shares, parsed with CLI11: which thread counts,
// repetitions, implementations and workloads to run, and whether to use CI-sized inputs.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bench {

/// The implementations a workload may have, in the order each repetition runs them.
inline const std::vector<std::string> all_impls = {"brigade", "tbb", "omp", "serial"};

/// What to run, as parsed from the command line.
struct options {
  std::vector<int> threads;            // thread counts to measure, in the order given
  int reps = 5;                        // repetitions of every measurement
  std::vector<std::string> impls;      // a subset of all_impls, in all_impls order
  std::vector<std::string> workloads;  // workload names, in the order given
  bool quick = false;                  // CI-sized inputs: the whole suite in a few seconds
};

/// How one benchmark program presents itself on its command line.
struct program_info {
  std::string name;                    // "brigade_bench": --help's usage line, errors' prefix
  std::string description;             // --help's paragraph above the flags
  std::vector<std::string> workloads;  // the names --workload accepts, and its default
  bool fixed_threads = false;          // workloads fix their own thread counts: --threads and
                                       // --impl are refused rather than half-honoured
  std::string footer{};                // more lines at the end of --help
};

/// The front of every benchmark's main: parses argv[1..] into `o`. Returns nullopt to go on,
/// or the status to exit with: 0 after printing --help to stdout, 2 after printing one line,
/// "NAME: error: ...", to stderr for an unknown flag, a missing or malformed value, or an
/// unknown name.
std::optional<int> parse_command_line(const program_info& p, int argc, const char* const* argv,
                                      options& o);

}  // namespace bench
