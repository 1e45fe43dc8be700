// The OpenMP side of brigade_heat_bench: the stencil as a plain `parallel for`, and the triad.
#include "heat/heat_bench.hpp"

#include <omp.h>

#include <utility>

namespace bench::heat_bench {

void run_omp(heat::grid& g, int steps, double alpha, int threads) {
  omp_set_num_threads(threads);
  double* in = g.current;
  double* out = in == g.a.get() ? g.b.get() : g.a.get();
  const std::size_t n = g.n;
  for (int s = 0; s < steps; ++s) {
#pragma omp parallel for schedule(static)
    for (std::size_t i = 1; i < n - 1; ++i) heat::step_rows(in, out, n, alpha, i, i + 1);
    std::swap(in, out);
  }
  g.current = in;
}

void stream_triad(double* a, const double* b, const double* c, double s, std::size_t n,
                  int threads) {
  omp_set_num_threads(threads);
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

}  // namespace bench::heat_bench
