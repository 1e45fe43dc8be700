// Bilinear resize: where each output column and row samples, computed once in double, then
// 8-bit fixed-point weights, tile by tile.
#include "ops.hpp"
#include "tiles.hpp"

#include <cmath>
#include <string>

namespace imgp {
namespace {

struct sample {
  int i0, i1, f;  // out = in[i0] * (256 - f) + in[i1] * f, over 256
};

std::vector<sample> samples(int in, int out) {
  std::vector<sample> s(static_cast<std::size_t>(out));
  for (int i = 0; i < out; ++i) {
    const double at = std::clamp((i + 0.5) * in / out - 0.5, 0.0, double(in - 1));
    const int i0 = static_cast<int>(at);
    s[static_cast<std::size_t>(i)] = {i0, std::min(i0 + 1, in - 1),
                                      static_cast<int>(std::lround((at - i0) * 256))};
  }
  return s;
}

}  // namespace

image resize(const image& src, double factor) {
  const long w = std::max(1L, std::lround(src.width * factor));
  const long h = std::max(1L, std::lround(src.height * factor));
  if (static_cast<long long>(w) * h > max_pixels)
    throw codec_error("resize: " + std::to_string(w) + "x" + std::to_string(h) + " is too large");
  image out(static_cast<int>(w), static_cast<int>(h), src.channels);
  const std::vector<sample> xs = samples(src.width, out.width);
  const std::vector<sample> ys = samples(src.height, out.height);
  const int c = src.channels;
  for_each_tile(out.width, out.height, [&](tile t) {
    for (int y = t.y0; y < t.y1; ++y) {
      const sample sy = ys[static_cast<std::size_t>(y)];
      const std::uint8_t* r0 = src.row(sy.i0);
      const std::uint8_t* r1 = src.row(sy.i1);
      std::uint8_t* o = out.row(y);
      for (int x = t.x0; x < t.x1; ++x) {
        const sample sx = xs[static_cast<std::size_t>(x)];
        for (int k = 0; k < c; ++k) {
          const int top = r0[sx.i0 * c + k] * (256 - sx.f) + r0[sx.i1 * c + k] * sx.f;
          const int bottom = r1[sx.i0 * c + k] * (256 - sx.f) + r1[sx.i1 * c + k] * sx.f;
          o[x * c + k] =
              static_cast<std::uint8_t>((top * (256 - sy.f) + bottom * sy.f + 32768) >> 16);
        }
      }
    }
  });
  return out;
}

}  // namespace imgp
