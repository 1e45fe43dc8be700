// The operations of --ops: parsing "blur:2,sharpen,gray,resize:0.5" and applying them.
//
// Every operation is exact integer arithmetic on each output pixel from its own neighbourhood
// (no floating point after the setup), run by brigade::parallel_for over tiles: the result does
// not depend on the tiles, the schedule or the thread count.
#pragma once

#include "image.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace imgp {

struct operation {
  enum class kind { blur, sharpen, gray, resize };
  kind what = kind::sharpen;
  double value = 0;  // blur: sigma; resize: factor
  std::string text;  // as written, for messages
};

/// Parses a comma-separated list. Errors: std::invalid_argument naming the bad item and what
/// was expected (unknown operation, sigma not in (0, 50], factor not in (0, 16]).
std::vector<operation> parse_ops(std::string_view spec);

/// Gaussian blur, separable, on every channel; the kernel has radius ceil(3 sigma) and the
/// weights of gaussian_weights; edges repeat the border pixels.
image blur(const image& src, double sigma);
/// 3x3 sharpen [0 -1 0; -1 5 -1; 0 -1 0] on the colour channels (alpha is copied), clamped.
image sharpen(const image& src);
/// Luma (77 R + 150 G + 29 B + 128) >> 8: RGB becomes gray, RGBA gray+alpha; gray stays.
image gray(const image& src);
/// Bilinear resize by factor (each side max(1, round(side * factor))), pixel centres aligned.
/// Errors: codec_error when the result would have more than max_pixels.
image resize(const image& src, double factor);

/// 2r+1 fixed-point weights (r = ceil(3 sigma)) of exp(-i^2 / 2 sigma^2), summing to 1 << 14.
std::vector<std::int32_t> gaussian_weights(double sigma);

/// Applies one operation; apply_all, the list in order.
image apply(const image& src, const operation& op);
image apply_all(image img, const std::vector<operation>& ops);

}  // namespace imgp
