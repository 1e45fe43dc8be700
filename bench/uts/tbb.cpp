// The tree count with tbb::parallel_invoke: a node's children are split in halves, recursively.
#include "harness/tbb_arena.hpp"
#include "uts/uts.hpp"

#include <oneapi/tbb/parallel_invoke.h>

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
  tbb::parallel_invoke([&] { a = count_children(p, id, lo, mid); },
                       [&] { b = count_children(p, id, mid, hi); });
  return a + b;
}

}  // namespace

long run_tbb(const params& p, int threads) {
  return tbb_arena(threads).execute(
      [&p] { return 1 + count_children(p, p.root_id, 0, p.root_children); });
}

}  // namespace bench::uts
