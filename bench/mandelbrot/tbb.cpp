// Mandelbrot with tbb::parallel_for over rows: blocked_range with the default grain (1) and
// the default auto_partitioner, as a TBB user would write it.
#include "harness/tbb_arena.hpp"
#include "mandelbrot/mandelbrot.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

namespace bench::mandelbrot {

void run_tbb(const spec& s, image& img, int threads) {
  tbb_arena(threads).execute([&] {
    tbb::parallel_for(tbb::blocked_range<int>(0, s.size), [&](const tbb::blocked_range<int>& r) {
      for (int y = r.begin(); y < r.end(); ++y)
        row(s, y, row_start(s, img, static_cast<std::size_t>(y)));
    });
  });
}

}  // namespace bench::mandelbrot
