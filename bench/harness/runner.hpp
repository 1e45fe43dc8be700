// Runs a group's series: every repetition runs every implementation at every thread count,
// interleaved, with a pause between runs, and checks each result.
#pragma once

#include "harness/options.hpp"
#include "harness/suite.hpp"

#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bench {

/// An implementation produced a wrong result; what() names the run and the difference.
class wrong_result : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Runs the group as `o` selects and returns one result per series × impl × thread count, in
/// series order, then thread-count order, then impl order (serial once, with threads = 1).
/// Throws wrong_result when a check fails.
std::vector<result> run_group(const group& g, const options& o);

/// A program's workloads: names and whatever makes each (a factory of that program's shape).
template <class Make>
using workload_list = std::vector<std::pair<std::string, Make>>;

/// The names of `list`, in order (what parse_options accepts).
template <class Make>
std::vector<std::string> workload_names(const workload_list<Make>& list) {
  std::vector<std::string> names;
  for (const auto& w : list) names.push_back(w.first);
  return names;
}

/// The maker of the workload called `name`. Throws std::invalid_argument for an unknown name
/// (parse_options has already refused those).
template <class Make>
const Make& workload_named(const workload_list<Make>& list, const std::string& name) {
  for (const auto& w : list)
    if (w.first == name) return w.second;
  throw std::invalid_argument("no workload named '" + name + "'");
}

/// The loop every benchmark program's main() shares: for each workload name in `selected`, in
/// order, `run(name)` returns its results, printed as JSON lines as they come and as one table
/// at the end. Returns the exit status: 0, or 1 after one line on stderr, prefixed by
/// `program`, for a wrong result or any other failure.
int run_workloads(const char* program, const std::vector<std::string>& selected,
                  const std::function<std::vector<result>(const std::string&)>& run);

}  // namespace bench
