// Mandelbrot with OpenMP: `parallel for schedule(dynamic)` over rows, what an OpenMP user
// writes for an irregular loop (chunks of one row: a row is far longer than a dispatch).
#include "mandelbrot/mandelbrot.hpp"

#include <omp.h>

namespace bench::mandelbrot {

void run_omp(const spec& s, image& img, int threads) {
  omp_set_num_threads(threads);
#pragma omp parallel for schedule(dynamic)
  for (int y = 0; y < s.size; ++y) row(s, y, row_start(s, img, static_cast<std::size_t>(y)));
}

}  // namespace bench::mandelbrot
