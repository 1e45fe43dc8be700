// Mandelbrot with brigade::parallel_for over rows, no grain: lazy splitting balances the rows.
#include "harness/runtimes.hpp"
#include "mandelbrot/mandelbrot.hpp"

#include <brigade/par/parallel_for.hpp>
#include <brigade/pool/pool.hpp>

namespace bench::mandelbrot {

void run_brigade(const spec& s, image& img, int threads) {
  brigade::parallel_for(0, static_cast<std::size_t>(s.size),
                        [&](std::size_t y) { row(s, static_cast<int>(y), row_start(s, img, y)); },
                        {.pool = &brigade_pool(threads)});
}

}  // namespace bench::mandelbrot
