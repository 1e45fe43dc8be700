// The tree count with OpenMP tasks: a node's children are split in halves, recursively; the
// lower half is a task, the upper half runs here, then taskwait.
#include "uts/uts.hpp"

#include <omp.h>

namespace bench::uts {
namespace {

long count_children(const params& p, std::uint64_t id, int lo, int hi);

long count(const params& p, std::uint64_t id) {
  return 1 + count_children(p, id, 0, children(p, id));
}

long count_children(const params& p, std::uint64_t id, int lo, int hi) {
  if (hi - lo <= 1) return hi == lo ? 0 : count(p, child_id(p, id, lo));
  const int mid = lo + (hi - lo) / 2;
  long a = 0, b = 0;
#pragma omp task shared(a, p) firstprivate(id, lo, mid)
  a = count_children(p, id, lo, mid);
  b = count_children(p, id, mid, hi);
#pragma omp taskwait
  return a + b;
}

}  // namespace

long run_omp(const params& p, int threads) {
  omp_set_num_threads(threads);
  long n = 0;
#pragma omp parallel shared(n, p)
#pragma omp single
  n = 1 + count_children(p, p.root_id, 0, p.root_children);
  return n;
}

}  // namespace bench::uts
