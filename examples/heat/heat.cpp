// The heat equation's kernel, its serial and brigade drivers, the checksum and the analytic
// solution (see heat.hpp).
#include "heat.hpp"

#include <brigade/par/parallel_for.hpp>
#include <brigade/par/parallel_reduce.hpp>
#include <brigade/pool/future.hpp>
#include <brigade/pool/pool.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>
#include <vector>

namespace heat {

grid::grid(std::size_t points)
    : n(points),
      a(new double[points * points]),
      b(new double[points * points]),
      sine(new double[points]),
      current(a.get()) {
  fill_sine(sine.get(), n);
}

void fill_sine(double* sine, std::size_t n) {
  const double h = 1.0 / static_cast<double>(n - 1);
  for (std::size_t k = 0; k < n; ++k)
    sine[k] = std::sin(std::numbers::pi * static_cast<double>(k) * h);
  sine[0] = sine[n - 1] = 0.0;  // sin(pi) is 1.2e-16 in doubles; the boundary is exactly 0
}

void fill_rows(grid& g, std::size_t row_begin, std::size_t row_end) {
  for (std::size_t i = row_begin; i < row_end; ++i) {
    double* ra = g.a.get() + i * g.n;
    double* rb = g.b.get() + i * g.n;
    for (std::size_t j = 0; j < g.n; ++j) ra[j] = rb[j] = g.sine[i] * g.sine[j];
  }
}

void fill(grid& g) {
  fill_rows(g, 0, g.n);
  g.current = g.a.get();
}

void step_rows(const double* in, double* out, std::size_t n, double alpha, std::size_t row_begin,
               std::size_t row_end) {
  for (std::size_t i = row_begin; i < row_end; ++i) {
    // Three input rows and one output row: they never overlap (two buffers), and saying so
    // lets the compiler vectorize without a run-time overlap check.
    const double* __restrict up = in + (i - 1) * n;
    const double* __restrict mid = in + i * n;
    const double* __restrict down = in + (i + 1) * n;
    double* __restrict o = out + i * n;
    for (std::size_t j = 1; j + 1 < n; ++j)
      o[j] = mid[j] + alpha * ((up[j] + down[j]) + (mid[j - 1] + mid[j + 1]) - 4.0 * mid[j]);
  }
}

std::size_t row_grain(std::size_t n) {
  return std::max<std::size_t>(1, 4096 / n);
}

void run_serial(grid& g, int steps, double alpha) {
  double* in = g.current;
  double* out = in == g.a.get() ? g.b.get() : g.a.get();
  for (int s = 0; s < steps; ++s) {
    step_rows(in, out, g.n, alpha, 1, g.n - 1);
    std::swap(in, out);
  }
  g.current = in;
}

void run_brigade(grid& g, int steps, double alpha, brigade::pool* pool) {
  brigade::pool& p = pool != nullptr ? *pool : brigade::pool::global();
  // The time loop runs on one of p's workers, which does its share of every step, as OpenMP's
  // master thread does: called from outside, each parallel_for would wake a worker and put the
  // caller to sleep, twice per step (1 ms a step on a loaded machine with one worker).
  brigade::submit(p, [&g, steps, alpha, &p] {
    double* in = g.current;
    double* out = in == g.a.get() ? g.b.get() : g.a.get();
    const std::size_t n = g.n;
    for (int s = 0; s < steps; ++s) {
      brigade::parallel_for_range(
          std::size_t{1}, n - 1,
          [in, out, n, alpha](std::size_t b, std::size_t e) { step_rows(in, out, n, alpha, b, e); },
          {.grain = row_grain(n), .pool = &p});
      std::swap(in, out);
    }
    g.current = in;
  }).get();
}

double checksum(const double* u, std::size_t n, brigade::pool* pool) {
  return brigade::parallel_reduce(
      std::size_t{0}, n, 0.0,
      [u, n](std::size_t b, std::size_t e, double acc) {
        for (std::size_t k = b * n; k < e * n; ++k) acc += u[k];
        return acc;
      },
      [](double x, double y) { return x + y; }, {.pool = pool, .deterministic = true});
}

double exact(double x, double y, double t) {
  constexpr double pi = std::numbers::pi;
  return std::sin(pi * x) * std::sin(pi * y) * std::exp(-2.0 * pi * pi * t);
}

double max_error(const double* u, std::size_t n, int steps, double alpha) {
  const double h = 1.0 / static_cast<double>(n - 1);
  const double t = steps * alpha * h * h;
  // exact() is a product: one row of sines and the decay, instead of n² sin() calls.
  std::vector<double> s(n);
  for (std::size_t k = 0; k < n; ++k) s[k] = exact(static_cast<double>(k) * h, 0.5, t);
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double sy = std::sin(std::numbers::pi * static_cast<double>(i) * h);
    for (std::size_t j = 0; j < n; ++j) worst = std::max(worst, std::abs(u[i * n + j] - s[j] * sy));
  }
  return worst;
}

double predicted_error(std::size_t n, double alpha) {
  constexpr double pi = std::numbers::pi;
  const double h = 1.0 / static_cast<double>(n - 1);
  return h * h * pi * pi * std::abs(2.0 * alpha - 1.0 / 6.0) / (2.0 * std::numbers::e);
}

}  // namespace heat
