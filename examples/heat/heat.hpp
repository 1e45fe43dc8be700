// The 2-D heat equation u_t = u_xx + u_yy on the unit square, zero on the boundary (Dirichlet),
// by the explicit 5-point stencil: the kernel, the drivers that step it (serial and brigade),
// the deterministic checksum and the analytic solution it is checked against.
//
// The grid has n × n points x = j h, y = i h (h = 1 / (n - 1)), stored by rows. A step of
// dt = alpha h² reads one buffer and writes the other (double buffering):
//
//   out[i][j] = in[i][j] + alpha ((in[i-1][j] + in[i+1][j]) + (in[i][j-1] + in[i][j+1]) - 4
//   in[i][j])
//
// which is stable for 0 < alpha <= 1/4. Every point is computed by the same operations in the
// same order whoever computes it, so the result does not depend on how rows are split among
// threads. Started from sin(pi x) sin(pi y), the exact solution is that times exp(-2 pi² t).
#pragma once

#include <cstddef>
#include <memory>

namespace brigade {
class pool;
}

namespace heat {

/// The largest alpha for which the explicit scheme is stable (von Neumann): 1/4 in 2-D.
inline constexpr double max_stable_alpha = 0.25;

/// The two buffers of an n × n grid, boundaries zero. Thread safety: distinct objects, none
/// shared; the drivers below write both buffers.
struct grid {
  explicit grid(std::size_t points);  // points per side, at least 3
  std::size_t n;
  std::unique_ptr<double[]> a, b;  // not value-initialized: fill_rows touches them first
  std::unique_ptr<double[]> sine;  // sin(pi k h) for k in 0 .. n-1, exactly 0 at both ends
  double* current;                 // the buffer holding the latest step
};

/// sin(pi k h) for k in 0 .. n-1 into sine (n values), exactly 0 at both ends: grid::sine, and
/// what a rank holding only some rows (heat_mpi) builds its initial condition from.
void fill_sine(double* sine, std::size_t n);

/// Sets rows [row_begin, row_end) of both buffers of g to the initial condition,
/// sin(pi x) sin(pi y) inside and 0 on the boundary. Call it on every row, then make
/// g.current = g.a.get() (fill() does both, on the calling thread).
void fill_rows(grid& g, std::size_t row_begin, std::size_t row_end);
void fill(grid& g);

/// One step on the interior rows [row_begin, row_end) (each within 1 .. n-2): reads `in`,
/// writes the interior columns of those rows of `out`. The kernel every implementation runs.
void step_rows(const double* in, double* out, std::size_t n, double alpha, std::size_t row_begin,
               std::size_t row_end);

/// Runs `steps` steps from g.current on the calling thread; g.current is then the last.
void run_serial(grid& g, int steps, double alpha);

/// The same, each step a brigade::parallel_for_range over the interior rows, on `pool`
/// (nullptr: pool::global()); the time loop itself runs on one of its workers.
/// Blocking: the caller sleeps until the last step ends; call it from outside that pool (from
/// one of its workers it would hold that worker idle, and with one worker never finish).
void run_brigade(grid& g, int steps, double alpha, brigade::pool* pool = nullptr);

/// Rows per piece that keep a piece at about 4096 points or more (1 for wide grids), so that
/// small grids are not split into pieces cheaper than a fork.
std::size_t row_grain(std::size_t n);

/// The sum of every point of u, folded row by row in a tree fixed by n alone
/// (parallel_reduce with .deterministic = true): bit-identical at every thread count.
double checksum(const double* u, std::size_t n, brigade::pool* pool = nullptr);

/// The analytic solution at (x, y) after time t.
double exact(double x, double y, double t);

/// The largest |u - exact| over the grid after `steps` steps of alpha h².
double max_error(const double* u, std::size_t n, int steps, double alpha);

/// The scheme's leading-order error bound, whatever the number of steps: the amplitude of the
/// computed mode decays at the rate 2 pi² + pi⁴ h² (2 alpha - 1/6) + O(h⁴) instead of 2 pi²,
/// so its error after time t is about t pi⁴ h² |2 alpha - 1/6| exp(-2 pi² t), at most
/// h² pi² |2 alpha - 1/6| / (2 e) (at t = 1 / (2 pi²)).
double predicted_error(std::size_t n, double alpha);

/// Bytes a step moves at the least: each interior point read once and written once.
inline double bytes_per_step(std::size_t n) {
  const auto m = static_cast<double>(n - 2);
  return 16.0 * m * m;
}

}  // namespace heat
