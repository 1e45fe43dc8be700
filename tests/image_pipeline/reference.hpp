// Direct serial reference implementations of the operations: one output pixel at a time, from
// the definitions in ops.hpp, with none of the tiling, padding or vectorizable loops.
#pragma once

#include "image.hpp"
#include "ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace imgp::reference {

inline image blur(const image& src, double sigma) {
  const std::vector<std::int32_t> w = gaussian_weights(sigma);
  const int r = static_cast<int>(w.size() / 2), c = src.channels;
  std::vector<int> tmp(src.pixels.size());  // the horizontal pass, times 128
  auto at = [&](int x, int y, int k) {
    return (static_cast<std::size_t>(y) * src.width + x) * c + k;
  };
  for (int y = 0; y < src.height; ++y)
    for (int x = 0; x < src.width; ++x)
      for (int k = 0; k < c; ++k) {
        int sum = 0;
        for (int i = -r; i <= r; ++i)
          sum += src.pixels[at(std::clamp(x + i, 0, src.width - 1), y, k)] * w[std::size_t(i + r)];
        tmp[at(x, y, k)] = (sum + 64) >> 7;
      }
  image out(src.width, src.height, c);
  for (int y = 0; y < src.height; ++y)
    for (int x = 0; x < src.width; ++x)
      for (int k = 0; k < c; ++k) {
        int sum = 0;
        for (int i = -r; i <= r; ++i)
          sum += tmp[at(x, std::clamp(y + i, 0, src.height - 1), k)] * w[std::size_t(i + r)];
        out.pixels[at(x, y, k)] = static_cast<std::uint8_t>((sum + (1 << 20)) >> 21);
      }
  return out;
}

inline image sharpen(const image& src) {
  const int c = src.channels, alpha = c == 2 || c == 4;
  image out(src.width, src.height, c);
  auto px = [&](int x, int y, int k) {
    return int(src.row(std::clamp(y, 0, src.height - 1))[std::clamp(x, 0, src.width - 1) * c + k]);
  };
  for (int y = 0; y < src.height; ++y)
    for (int x = 0; x < src.width; ++x)
      for (int k = 0; k < c; ++k) {
        const int v = alpha && k == c - 1 ? px(x, y, k)
                                          : 5 * px(x, y, k) - px(x - 1, y, k) - px(x + 1, y, k) -
                                                px(x, y - 1, k) - px(x, y + 1, k);
        out.row(y)[x * c + k] = static_cast<std::uint8_t>(std::clamp(v, 0, 255));
      }
  return out;
}

inline image gray(const image& src) {
  if (src.channels <= 2) return src;
  image out(src.width, src.height, src.channels - 2);
  for (int y = 0; y < src.height; ++y)
    for (int x = 0; x < src.width; ++x) {
      const std::uint8_t* p = src.row(y) + x * src.channels;
      out.row(y)[x * out.channels] =
          static_cast<std::uint8_t>((77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8);
      if (out.channels == 2) out.row(y)[x * 2 + 1] = p[3];
    }
  return out;
}

inline image resize(const image& src, double factor) {
  const int w = std::max(1, int(std::lround(src.width * factor)));
  const int h = std::max(1, int(std::lround(src.height * factor)));
  const int c = src.channels;
  image out(w, h, c);
  for (int y = 0; y < h; ++y) {
    const double sy = std::clamp((y + 0.5) * src.height / h - 0.5, 0.0, double(src.height - 1));
    const int y0 = int(sy), y1 = std::min(y0 + 1, src.height - 1);
    const int fy = int(std::lround((sy - y0) * 256));
    for (int x = 0; x < w; ++x) {
      const double sx = std::clamp((x + 0.5) * src.width / w - 0.5, 0.0, double(src.width - 1));
      const int x0 = int(sx), x1 = std::min(x0 + 1, src.width - 1);
      const int fx = int(std::lround((sx - x0) * 256));
      for (int k = 0; k < c; ++k) {
        auto p = [&](int xx, int yy) { return int(src.row(yy)[xx * c + k]); };
        const int top = p(x0, y0) * (256 - fx) + p(x1, y0) * fx;
        const int bottom = p(x0, y1) * (256 - fx) + p(x1, y1) * fx;
        out.row(y)[x * c + k] =
            static_cast<std::uint8_t>((top * (256 - fy) + bottom * fy + 32768) >> 16);
      }
    }
  }
  return out;
}

}  // namespace imgp::reference
