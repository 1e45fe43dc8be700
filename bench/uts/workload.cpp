// The uts workload for the harness: tree parameters, the serial count, checks, ns per node.
#include "uts/uts.hpp"

#include <memory>
#include <string>

namespace bench::uts {

group make(const config& c) {
  struct state {
    params p;
    long expected = 0;
    long got = -1;
  };
  auto st = std::make_shared<state>();
  // m·q = 0.996: expected 1 + root_children / 0.004 nodes, but the size varies wildly with the
  // seed; these seeds give 4,580,417 nodes, 634 levels deep (305,613 and 381 with --quick).
  st->p = c.quick ? params{5, 500, 8, 0.1245, 8} : params{4, 20000, 8, 0.1245, 8};
  st->expected = run_serial(st->p);

  auto entry = [st](std::string impl, long (*fn)(const params&, int)) {
    return impl_run{std::move(impl), [st, fn](int threads) { st->got = fn(st->p, threads); },
                    [st] { st->got = -1; },
                    [st] {
                      return st->got == st->expected
                                 ? std::string()
                                 : std::to_string(st->got) + " nodes, expected " +
                                       std::to_string(st->expected);
                    }};
  };
  const params& p = st->p;
  const std::string input = "binomial tree, root " + std::to_string(p.root_children) +
                            " children, m=" + std::to_string(p.m) + " q=" + std::to_string(p.q) +
                            ", " + std::to_string(st->expected) + " nodes";
  group g;
  g.all.push_back(
      series{"uts",
             input,
             {entry("brigade", run_brigade), entry("tbb", run_tbb), entry("omp", run_omp),
              entry("serial", [](const params& q, int) { return run_serial(q); })}});
  const double nodes = static_cast<double>(st->expected);
  g.annotate = [nodes](std::vector<result>& rs) {
    for (result& r : rs) r.extra.emplace_back("ns_per_node", r.median * 1e9 / nodes);
  };
  return g;
}

}  // namespace bench::uts
