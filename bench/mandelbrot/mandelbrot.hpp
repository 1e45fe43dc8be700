// Mandelbrot escape times, one parallel iteration per row. Rows crossing the set cost up to
// `iterations` per pixel, rows outside it a few: an irregular loop run with no grain given.
#pragma once

#include "harness/suite.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bench::mandelbrot {

struct spec {
  int size;        // size × size pixels
  int iterations;  // escape-time limit
};

using image = std::vector<std::uint16_t>;  // size × size escape times, row-major

/// Escape times of every pixel of row y: the kernel every implementation calls.
inline void row(const spec& s, int y, std::uint16_t* out) {
  const double ci = -1.25 + 2.5 * y / s.size;
  for (int x = 0; x < s.size; ++x) {
    const double cr = -2.0 + 2.5 * x / s.size;
    double zr = 0, zi = 0;
    int k = 0;
    while (k < s.iterations && zr * zr + zi * zi <= 4.0) {
      const double t = zr * zr - zi * zi + cr;
      zi = 2 * zr * zi + ci;
      zr = t;
      ++k;
    }
    out[x] = static_cast<std::uint16_t>(k);
  }
}

inline std::uint16_t* row_start(const spec& s, image& img, std::size_t y) {
  return img.data() + y * static_cast<std::size_t>(s.size);
}

void run_serial(const spec& s, image& img);
void run_brigade(const spec& s, image& img, int threads);  // brigade::parallel_for, no grain
void run_tbb(const spec& s, image& img, int threads);      // tbb::parallel_for, auto_partitioner
void run_omp(const spec& s, image& img, int threads);      // parallel for schedule(dynamic)

/// 4096 × 4096 pixels, 256 iterations (512 × 512 with --quick).
group make(const config& c);

}  // namespace bench::mandelbrot
