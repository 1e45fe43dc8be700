// Mandelbrot serially: every row in order.
#include "mandelbrot/mandelbrot.hpp"

namespace bench::mandelbrot {

void run_serial(const spec& s, image& img) {
  for (int y = 0; y < s.size; ++y) row(s, y, row_start(s, img, static_cast<std::size_t>(y)));
}

}  // namespace bench::mandelbrot
