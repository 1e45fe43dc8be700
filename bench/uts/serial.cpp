// The tree count serially: a plain depth-first walk.
#include "uts/uts.hpp"

namespace bench::uts {
namespace {

long count(const params& p, std::uint64_t id) {
  long n = 1;
  const int k = children(p, id);
  for (int i = 0; i < k; ++i) n += count(p, child_id(p, id, i));
  return n;
}

}  // namespace

long run_serial(const params& p) {
  long n = 1;
  for (int i = 0; i < p.root_children; ++i) n += count(p, child_id(p, p.root_id, i));
  return n;
}

}  // namespace bench::uts
