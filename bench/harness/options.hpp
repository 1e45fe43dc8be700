// The command line every benchmark shares: which thread counts, repetitions, implementations
// and workloads to run, and whether to use CI-sized inputs.
#pragma once

#include <stdexcept>
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
  bool help = false;                   // --help: print usage_text and exit
};

/// A bad command line. what() is one line for stderr; the program then exits with status 2.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses the flags (argv[1..]); `workloads` are the names --workload accepts, and the default.
/// Throws usage_error on an unknown flag, a missing or malformed value, or an unknown name.
options parse_options(int argc, const char* const* argv, const std::vector<std::string>& workloads);

/// The --help text.
std::string usage_text(const std::vector<std::string>& workloads);

}  // namespace bench
