// The reduce workload for the harness: the triad series (the machine's bandwidth) and the sum
// series, their checks, and GB/s with the sum's share of the triad figure.
#include "reduce/reduce.hpp"

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>

namespace bench::reduce {
namespace {

// Small integers: every partial sum is exact, so all orders of addition agree bit for bit.
double b_value(std::size_t i) {
  return static_cast<double>(i % 1024);
}
double c_value(std::size_t i) {
  return static_cast<double>(i % 7);
}
double zero(std::size_t) {
  return 0.0;
}

// Memory that is not value-initialized: parallel_fill touches it first.
struct array {
  explicit array(std::size_t n) : data(new double[n]) {}
  std::unique_ptr<double[]> data;
};

}  // namespace

group make(const config& c) {
  struct state {
    std::size_t n;
    array a, b, c;
    double scalar = 3.0;
    double expected_sum = 0;
    double got_sum = 0;
    explicit state(std::size_t size) : n(size), a(size), b(size), c(size) {}
  };
  auto st = std::make_shared<state>(c.quick ? std::size_t{1} << 22 : std::size_t{1} << 27);
  parallel_fill(st->a.data.get(), st->n, zero);
  parallel_fill(st->b.data.get(), st->n, b_value);
  parallel_fill(st->c.data.get(), st->n, c_value);
  st->expected_sum = run_serial(st->b.data.get(), st->n);

  // A new scalar every run, so a run that skipped elements leaves stale values behind.
  impl_run triad{"omp",
                 [st](int threads) {
                   stream_triad(st->a.data.get(), st->b.data.get(), st->c.data.get(), st->scalar,
                                st->n, threads);
                 },
                 [st] { st->scalar = st->scalar == 3.0 ? 5.0 : 3.0; },
                 [st]() -> std::string {
                   for (std::size_t i = 0; i < st->n; ++i)
                     if (st->a.data[i] != b_value(i) + st->scalar * c_value(i))
                       return "a[" + std::to_string(i) + "] = " + std::to_string(st->a.data[i]);
                   return "";
                 }};

  auto entry = [st](std::string impl, double (*fn)(const double*, std::size_t, int)) {
    return impl_run{std::move(impl),
                    [st, fn](int threads) { st->got_sum = fn(st->b.data.get(), st->n, threads); },
                    [st] { st->got_sum = std::nan(""); },
                    [st] {
                      return st->got_sum == st->expected_sum
                                 ? std::string()
                                 : "sum = " + std::to_string(st->got_sum) + ", expected " +
                                       std::to_string(st->expected_sum);
                    }};
  };
  const std::string size = std::to_string(st->n) + " doubles (" +
                           std::to_string(st->n * sizeof(double) >> 20) + " MiB per array)";

  group g;
  g.all.push_back(series{"triad", "STREAM triad a = b + s*c, " + size, {triad}, true});
  g.all.push_back(series{
      "reduce",
      "sum of " + size,
      {entry("brigade", run_brigade), entry("tbb", run_tbb), entry("omp", run_omp),
       entry("serial", [](const double* v, std::size_t n, int) { return run_serial(v, n); })}});
  const double triad_bytes = 24.0 * static_cast<double>(st->n);  // STREAM counts 3 arrays
  const double sum_bytes = 8.0 * static_cast<double>(st->n);
  g.annotate = [triad_bytes, sum_bytes](std::vector<result>& rs) {
    for (result& r : rs) {
      const double bytes = r.workload == "triad" ? triad_bytes : sum_bytes;
      r.extra.emplace_back("gb_per_s", bytes / r.median / 1e9);
      r.extra.emplace_back("best_gb_per_s", bytes / r.min / 1e9);
      if (r.workload != "reduce") continue;
      if (const result* t = find_result(rs, "triad", "omp", r.threads)) {
        const double triad_best = triad_bytes / t->min / 1e9;  // STREAM reports the best run
        r.extra.emplace_back("pct_of_triad", 100.0 * (sum_bytes / r.min / 1e9) / triad_best);
        r.extra.emplace_back("median_pct_of_triad",
                             100.0 * (sum_bytes / r.median / 1e9) / triad_best);
      }
    }
  };
  return g;
}

}  // namespace bench::reduce
