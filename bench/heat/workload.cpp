// brigade_heat_bench's workloads: the grid, the three implementations with their checks
// (every one must give the serial run's grid, bit for bit), the triad, and GB/s.
#include "harness/runtimes.hpp"
#include "heat/heat_bench.hpp"

#include <memory>
#include <string>
#include <utility>

namespace bench::heat_bench {
namespace {

constexpr double alpha = 0.2;

// The sum of a grid, always in the same order: equal grids give equal bits.
double sum(const heat::grid& g) {
  double s = 0;
  for (std::size_t k = 0; k < g.n * g.n; ++k) s += g.current[k];
  return s;
}

group make(const config& c, const std::string& name, std::size_t n, int steps,
           const std::string& where, bool with_triad) {
  struct state {
    heat::grid g;
    int steps;
    double expected = 0;
    std::unique_ptr<double[]> ta, tb, tc;  // the triad's arrays
    state(std::size_t n, int s)
        : g(n), steps(s), ta(new double[n * n]), tb(new double[n * n]), tc(new double[n * n]) {}
  };
  (void)c;
  auto st = std::make_shared<state>(n, steps);
  heat::fill(st->g);
  heat::run_serial(st->g, steps, alpha);
  st->expected = sum(st->g);
  const std::size_t cells = n * n;
  for (std::size_t k = 0; k < cells; ++k) {
    st->ta[k] = 0;
    st->tb[k] = static_cast<double>(k % 1024);
    st->tc[k] = static_cast<double>(k % 7);
  }

  auto entry = [st](std::string impl, void (*fn)(heat::grid&, int, int)) {
    return impl_run{std::move(impl), [st, fn](int threads) { fn(st->g, st->steps, threads); },
                    [st] { heat::fill(st->g); },
                    [st]() -> std::string {
                      const double got = sum(st->g);
                      if (got == st->expected) return "";
                      return "grid sum " + std::to_string(got) + ", serial's " +
                             std::to_string(st->expected);
                    }};
  };
  impl_run triad{"omp",
                 [st, cells](int threads) {
                   stream_triad(st->ta.get(), st->tb.get(), st->tc.get(), 3.0, cells, threads);
                 },
                 {},
                 [st, cells]() -> std::string {
                   for (std::size_t k = 0; k < cells; ++k)
                     if (st->ta[k] != st->tb[k] + 3.0 * st->tc[k])
                       return "triad a[" + std::to_string(k) + "] is wrong";
                   return "";
                 }};

  const std::string grid = std::to_string(n) + "x" + std::to_string(n);
  const std::string mib = std::to_string(cells * sizeof(double) >> 20) + " MiB";
  group g;
  if (with_triad)  // a bandwidth to compare with only where the grids stream through DRAM
    g.all.push_back(
        series{name + "_triad",
               "STREAM triad over " + std::to_string(cells) + " doubles (" + mib + " per array)",
               {triad},
               true});
  g.all.push_back(series{
      name,
      grid + " grid (" + mib + " per buffer, " + where + "), " + std::to_string(steps) +
          " steps, alpha 0.2",
      {entry("brigade",
             [](heat::grid& gr, int s, int threads) {
               heat::run_brigade(gr, s, alpha, &brigade_pool(threads));
             }),
       entry("omp", [](heat::grid& gr, int s, int threads) { run_omp(gr, s, alpha, threads); }),
       entry("serial", [](heat::grid& gr, int s, int) { heat::run_serial(gr, s, alpha); })}});

  const double triad_bytes = 24.0 * static_cast<double>(cells);  // STREAM counts 3 arrays
  const double heat_bytes = heat::bytes_per_step(n) * steps;     // a read and a write a point
  g.annotate = [triad_bytes, heat_bytes, name](std::vector<result>& rs) {
    for (result& r : rs) {
      const bool is_triad = r.workload != name;
      const double bytes = is_triad ? triad_bytes : heat_bytes;
      r.extra.emplace_back("gb_per_s", bytes / r.median / 1e9);
      r.extra.emplace_back("best_gb_per_s", bytes / r.min / 1e9);
      if (is_triad) continue;
      // Serial's threads is 1: compare it with the one-thread triad.
      if (const result* t = find_result(rs, name + "_triad", "omp", r.threads)) {
        const double triad_best = triad_bytes / t->min / 1e9;  // STREAM reports the best run
        r.extra.emplace_back("median_pct_of_triad",
                             100.0 * (heat_bytes / r.median / 1e9) / triad_best);
      }
    }
  };
  return g;
}

}  // namespace

group make_dram(const config& c) {
  return c.quick ? make(c, "heat", 512, 10, "quick", true)
                 : make(c, "heat", 4096, 20, "past the caches", true);
}

group make_cache(const config& c) {
  return c.quick ? make(c, "heat_cache", 128, 50, "quick", false)
                 : make(c, "heat_cache", 512, 400, "in the caches", false);
}

}  // namespace bench::heat_bench
