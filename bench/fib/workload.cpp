// The fib workload for the harness: inputs, checks, and the cost per fork.
#include "fib/fib.hpp"

#include <memory>
#include <string>

namespace bench::fib {

group make(const config& c) {
  const int n = c.quick ? 24 : 32;
  struct state {
    long expected = 0;
    long got = -1;
  };
  auto st = std::make_shared<state>();
  st->expected = run_serial(n);

  auto entry = [st](std::string impl, long (*fn)(int, int), int arg) {
    return impl_run{std::move(impl), [st, fn, arg](int threads) { st->got = fn(arg, threads); },
                    [st] { st->got = -1; },
                    [st] {
                      return st->got == st->expected
                                 ? std::string()
                                 : "fib = " + std::to_string(st->got) + ", expected " +
                                       std::to_string(st->expected);
                    }};
  };
  series s{"fib",
           "fib(" + std::to_string(n) + "), no cutoff, " + std::to_string(forks(n)) + " forks",
           {entry("brigade", run_brigade, n), entry("tbb", run_tbb, n), entry("omp", run_omp, n),
            entry(
                "serial", [](int m, int) { return run_serial(m); }, n)}};

  group g;
  g.all.push_back(std::move(s));
  g.annotate = [n](std::vector<result>& rs) {
    const double f = static_cast<double>(forks(n));
    const result* serial = find_result(rs, "fib", "serial", 1);
    for (result& r : rs) {
      if (r.threads != 1 || r.impl == "serial") continue;
      r.extra.emplace_back("ns_per_fork", r.median * 1e9 / f);
      if (serial)
        r.extra.emplace_back("overhead_ns_per_fork", (r.median - serial->median) * 1e9 / f);
    }
  };
  return g;
}

}  // namespace bench::fib
