// How results are printed: one JSON line each (for tools), then a table (for people).
#pragma once

#include "harness/suite.hpp"

#include <cstdio>
#include <vector>

namespace bench {

/// One line: {"workload":..,"impl":..,"threads":..,"reps":..,"median_seconds":..,
/// "min_seconds":.., ratios, the workload's extras, "input":..}.
void print_json(std::FILE* out, const result& r);

/// A table per series: rows by thread count and implementation, with medians, minima, the
/// ratio of each median to brigade's, the speedup over serial, and the extras.
void print_table(std::FILE* out, const std::vector<result>& results);

}  // namespace bench
