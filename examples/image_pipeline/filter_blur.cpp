// Gaussian blur: per tile, a horizontal pass over the tile's rows and margins into 16-bit
// fixed point, then a vertical pass; both are plain multiply-adds the compiler vectorizes.
#include "ops.hpp"
#include "tiles.hpp"

#include <cmath>
#include <cstring>

namespace imgp {

std::vector<std::int32_t> gaussian_weights(double sigma) {
  const int r = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
  std::vector<double> g(static_cast<std::size_t>(2 * r + 1));
  double total = 0;
  for (int i = -r; i <= r; ++i)
    total += g[static_cast<std::size_t>(i + r)] = std::exp(-(i * i) / (2 * sigma * sigma));
  std::vector<std::int32_t> w(g.size());
  std::int32_t sum = 0;
  for (std::size_t i = 0; i < g.size(); ++i)
    sum += w[i] = static_cast<std::int32_t>(std::lround(g[i] / total * (1 << 14)));
  w[static_cast<std::size_t>(r)] += (1 << 14) - sum;  // exactly 1.0, so flat areas stay flat
  return w;
}

image blur(const image& src, double sigma) {
  // 16-bit weights and intermediates: the multiplies are 16 x 16 -> 32 bits, which SSE2 does
  // eight at a time (a 32-bit multiply it does not have).
  const std::vector<std::int32_t> w32 = gaussian_weights(sigma);
  const std::vector<std::int16_t> w(w32.begin(), w32.end());
  const int r = static_cast<int>(w.size() / 2), c = src.channels;
  image out(src.width, src.height, c);
  for_each_tile(src.width, src.height, [&](tile t) {
    const int tw = t.x1 - t.x0, rows = t.y1 - t.y0 + 2 * r;
    const std::size_t n = static_cast<std::size_t>(tw) * c;
    // The tile's columns with r more on each side; those past the image repeat its border.
    const int left = std::max(0, r - t.x0), right = std::max(0, t.x1 + r - src.width);
    const std::size_t inner = static_cast<std::size_t>(tw + 2 * r - left - right) * c;
    std::vector<std::int16_t> pad(static_cast<std::size_t>(tw + 2 * r) * c);
    std::vector<std::int16_t> tmp(static_cast<std::size_t>(rows) * n);
    std::vector<std::int32_t> acc(n);
    for (int j = 0; j < rows; ++j) {  // row y0 - r + j, horizontally: sample * 128
      const std::uint8_t* s = src.row(std::clamp(t.y0 - r + j, 0, src.height - 1));
      const std::uint8_t* from = s + static_cast<std::ptrdiff_t>(t.x0 - r + left) * c;
      std::copy(from, from + inner, pad.begin() + left * c);
      for (int i = 0; i < left; ++i) std::copy(s, s + c, pad.begin() + i * c);
      const std::uint8_t* last = s + static_cast<std::size_t>(src.width - 1) * c;
      for (int i = tw + 2 * r - right; i < tw + 2 * r; ++i)
        std::copy(last, last + c, pad.begin() + i * c);
      std::fill(acc.begin(), acc.end(), 0);
      for (std::size_t k = 0; k < w.size(); ++k) {
        const std::int16_t* p = &pad[k * c];
        const std::int16_t wk = w[k];
        for (std::size_t i = 0; i < n; ++i) acc[i] += p[i] * wk;
      }
      std::int16_t* o = &tmp[static_cast<std::size_t>(j) * n];
      for (std::size_t i = 0; i < n; ++i) o[i] = static_cast<std::int16_t>((acc[i] + 64) >> 7);
    }
    for (int y = t.y0; y < t.y1; ++y) {  // vertically, back to 8 bits
      std::fill(acc.begin(), acc.end(), 0);
      for (std::size_t k = 0; k < w.size(); ++k) {
        const std::int16_t* p = &tmp[(static_cast<std::size_t>(y - t.y0) + k) * n];
        const std::int16_t wk = w[k];
        for (std::size_t i = 0; i < n; ++i) acc[i] += p[i] * wk;
      }
      std::uint8_t* o = out.row(y) + static_cast<std::size_t>(t.x0) * c;
      for (std::size_t i = 0; i < n; ++i)
        o[i] = static_cast<std::uint8_t>((acc[i] + (1 << 20)) >> 21);
    }
  });
  return out;
}

}  // namespace imgp
