// The Mandelbrot rows, in parallel and in series.
#include "mandelbrot.hpp"

#include <brigade/par/parallel_for.hpp>

#include <cstddef>
#include <vector>

namespace responsive {

std::uint64_t mandelbrot_row(int y, int size) {
  const double step = 2.6 / size;
  const double ci = -1.3 + (y + 0.5) * step;
  std::uint64_t inside = 0;
  for (int x = 0; x < size; ++x) {
    const double cr = -2.0 + (x + 0.5) * step;
    double zr = 0, zi = 0;
    int i = 0;
    for (; i < max_iter && zr * zr + zi * zi <= 4.0; ++i) {
      const double t = zr * zr - zi * zi + cr;
      zi = 2 * zr * zi + ci;
      zr = t;
    }
    inside += i == max_iter;
  }
  return inside;
}

namespace {

// rows_done started at 0; all rows are done only if the token never stopped one.
mandelbrot_result sum(const std::vector<std::uint64_t>& rows,
                      const std::atomic<std::uint64_t>& rows_done) {
  mandelbrot_result r{.in_set = 0,
                      .complete = rows_done.load(std::memory_order_relaxed) == rows.size()};
  for (const std::uint64_t n : rows) r.in_set += n;
  return r;
}

}  // namespace

mandelbrot_result mandelbrot_parallel(int size, std::stop_token token,
                                      std::atomic<std::uint64_t>& rows_done) {
  std::vector<std::uint64_t> rows(static_cast<std::size_t>(size));
  brigade::parallel_for(0, size,
                        [&](int y) {
                          if (token.stop_requested())
                            return;  // the rows not started yet are skipped
                          rows[static_cast<std::size_t>(y)] = mandelbrot_row(y, size);
                          // relaxed: a count for the progress bar and nothing else; the rows
                          // themselves are read below, after parallel_for's join, which orders
                          // every call before its return.
                          rows_done.fetch_add(1, std::memory_order_relaxed);
                        },
                        {.grain = 1});
  return sum(rows, rows_done);
}

mandelbrot_result mandelbrot_serial(int size, std::stop_token token,
                                    std::atomic<std::uint64_t>& rows_done) {
  std::vector<std::uint64_t> rows(static_cast<std::size_t>(size));
  for (int y = 0; y < size && !token.stop_requested(); ++y) {
    rows[static_cast<std::size_t>(y)] = mandelbrot_row(y, size);
    rows_done.fetch_add(1, std::memory_order_relaxed);  // as above
  }
  return sum(rows, rows_done);
}

}  // namespace responsive
