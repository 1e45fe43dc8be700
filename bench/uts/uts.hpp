// An unbalanced tree search (UTS, binomial tree): count the nodes of a deterministic random
// tree whose shape is unknown until it is walked. The root has `root_children` children; every
// other node has `m` children with probability q, else none. With m·q just below 1 the tree is
// finite but deep and very irregular, and most tasks do almost nothing: per-task overhead
// dominates.
#pragma once

#include "harness/suite.hpp"

#include <cstdint>

namespace bench::uts {

struct params {
  std::uint64_t root_id;  // the root's identity; children's ids are hashed from it
  int root_children;
  int m;       // children of a non-leaf node
  double q;    // probability that a node other than the root has children
  int rounds;  // hash rounds per child id: the work per node (UTS hashes with SHA-1)
};

/// A well-mixed 64-bit hash (splitmix64's finalizer).
inline std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// The identity of child i of the node `parent`.
inline std::uint64_t child_id(const params& p, std::uint64_t parent, int i) {
  std::uint64_t id = parent + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(i + 1);
  for (int r = 0; r < p.rounds; ++r) id = mix(id);
  return id;
}

/// The number of children of a node other than the root: m with probability q, else 0.
inline int children(const params& p, std::uint64_t id) {
  const double u = static_cast<double>(mix(id ^ 0x5851f42d4c957f2dULL) >> 11) * 0x1p-53;
  return u < p.q ? p.m : 0;
}

/// Node counts. The parallel ones split a node's children in halves recursively (fork-join),
/// so a node with m children forks m - 1 times.
long run_serial(const params& p);
long run_brigade(const params& p, int threads);  // brigade::join
long run_tbb(const params& p, int threads);      // tbb::parallel_invoke
long run_omp(const params& p, int threads);      // OpenMP tasks + taskwait

/// A tree of about 4 million nodes (about 100 thousand with --quick).
group make(const config& c);

}  // namespace bench::uts
