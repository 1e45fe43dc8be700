// The serial baseline: std::sort.
#include "sort/sort.hpp"

#include <algorithm>

namespace bench::sort {

void run_serial(keys& v) {
  std::sort(v.begin(), v.end());
}

}  // namespace bench::sort
