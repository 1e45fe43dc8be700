// The tree count with brigade::join: a node's children are split in halves, recursively.
#include "harness/runtimes.hpp"
#include "uts/uts.hpp"

#include <brigade/pool/join.hpp>
#include <brigade/pool/pool.hpp>

namespace bench::uts {
namespace {

long count_children(const params& p, std::uint64_t id, int lo, int hi);

long count(const params& p, std::uint64_t id) {
  return 1 + count_children(p, id, 0, children(p, id));
}

// The nodes in the subtrees of children [lo, hi) of `id`.
long count_children(const params& p, std::uint64_t id, int lo, int hi) {
  if (hi - lo <= 1) return hi == lo ? 0 : count(p, child_id(p, id, lo));
  const int mid = lo + (hi - lo) / 2;
  auto [a, b] = brigade::join([&] { return count_children(p, id, lo, mid); },
                              [&] { return count_children(p, id, mid, hi); });
  return a + b;
}

}  // namespace

long run_brigade(const params& p, int threads) {
  return brigade_pool(threads).run(
      [&p] { return 1 + count_children(p, p.root_id, 0, p.root_children); });
}

}  // namespace bench::uts
