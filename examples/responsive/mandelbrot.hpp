// The long computation of responsive: the points of a size x size grid over [-2, 0.6] x
// [-1.3, 1.3] that stay in the Mandelbrot set for max_iter iterations, row by row.
#pragma once

#include <atomic>
#include <cstdint>
#include <stop_token>

namespace responsive {

inline constexpr int max_iter = 2000;

struct mandelbrot_result {
  std::uint64_t in_set = 0;  ///< points that stayed bounded (meaningful when complete)
  bool complete = false;     ///< false: stopped by the token first
};

/// How many points of row y stay bounded.
std::uint64_t mandelbrot_row(int y, int size);

/// Every row, by brigade::parallel_for on the calling worker's pool (grain 1 row, so a stop
/// request reaches every worker within one row's time). rows_done counts finished rows for
/// the progress bar (it must start at 0); the body checks the token before each row.
mandelbrot_result mandelbrot_parallel(int size, std::stop_token token,
                                      std::atomic<std::uint64_t>& rows_done);

/// The same rows in order on the calling thread (what --inline runs on the loop).
mandelbrot_result mandelbrot_serial(int size, std::stop_token token,
                                    std::atomic<std::uint64_t>& rows_done);

}  // namespace responsive
