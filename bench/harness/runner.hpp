// Runs a group's series: every repetition runs every implementation at every thread count,
// interleaved, with a pause between runs, and checks each result.
#pragma once

#include "harness/options.hpp"
#include "harness/suite.hpp"

#include <stdexcept>
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

}  // namespace bench
