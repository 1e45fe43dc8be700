// Sorting random 64-bit integers in place, with the default order and with std::greater<>
// (a comparator the sort cannot see through). OpenMP has no sort, so it has no entry here.
#pragma once

#include "harness/suite.hpp"

#include <cstdint>
#include <vector>

namespace bench::sort {

using keys = std::vector<std::uint64_t>;

void run_serial(keys& v);                        // std::sort
void run_brigade(keys& v, int threads);          // brigade::parallel_sort
void run_brigade_greater(keys& v, int threads);  // brigade::parallel_sort, std::greater<>
void run_tbb(keys& v, int threads);              // tbb::parallel_sort
void run_tbb_greater(keys& v, int threads);      // tbb::parallel_sort, std::greater<>

/// 5·10^7 keys (10^6 with --quick).
group make(const config& c);

}  // namespace bench::sort
