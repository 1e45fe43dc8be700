// The heat equation's stencil (examples/heat) as serial code, an OpenMP `parallel for` and
// brigade's parallel_for, on the same grid, next to a STREAM triad of the grid's size.
#pragma once

#include "harness/suite.hpp"

#include <heat.hpp>

namespace bench::heat_bench {

/// `steps` steps of the stencil, each `#pragma omp parallel for schedule(static)` over the
/// interior rows (one heat::step_rows call per row) on `threads` threads (omp.cpp).
void run_omp(heat::grid& g, int steps, double alpha, int threads);

/// STREAM's triad a = b + s c over n doubles, OpenMP static, as STREAM runs it (omp.cpp).
void stream_triad(double* a, const double* b, const double* c, double s, std::size_t n,
                  int threads);

/// The workloads: a grid far larger than the caches (memory-bound), and one that fits in them
/// (per-step overhead shows); the first with a STREAM triad over as many doubles as the grid.
group make_dram(const config& c);
group make_cache(const config& c);

}  // namespace bench::heat_bench
