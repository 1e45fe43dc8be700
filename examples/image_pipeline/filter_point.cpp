// Sharpen (a 3x3 neighbourhood) and grayscale (one pixel at a time), tile by tile.
#include "ops.hpp"
#include "tiles.hpp"

namespace imgp {

image sharpen(const image& src) {
  image out(src.width, src.height, src.channels);
  const int c = src.channels;
  const int colours = c == 2 || c == 4 ? c - 1 : c;  // the alpha channel is copied
  for_each_tile(src.width, src.height, [&](tile t) {
    for (int y = t.y0; y < t.y1; ++y) {
      const std::uint8_t* up = src.row(std::max(y - 1, 0));
      const std::uint8_t* mid = src.row(y);
      const std::uint8_t* down = src.row(std::min(y + 1, src.height - 1));
      std::uint8_t* o = out.row(y);
      for (int x = t.x0; x < t.x1; ++x) {
        const int l = std::max(x - 1, 0) * c, m = x * c, r = std::min(x + 1, src.width - 1) * c;
        for (int k = 0; k < colours; ++k) {
          const int v = 5 * mid[m + k] - mid[l + k] - mid[r + k] - up[m + k] - down[m + k];
          o[m + k] = static_cast<std::uint8_t>(std::clamp(v, 0, 255));
        }
        for (int k = colours; k < c; ++k) o[m + k] = mid[m + k];
      }
    }
  });
  return out;
}

image gray(const image& src) {
  if (src.channels <= 2) return src;
  const int c = src.channels, oc = c - 2;  // RGB -> gray, RGBA -> gray + alpha
  image out(src.width, src.height, oc);
  for_each_tile(src.width, src.height, [&](tile t) {
    for (int y = t.y0; y < t.y1; ++y) {
      const std::uint8_t* s = src.row(y);
      std::uint8_t* o = out.row(y);
      for (int x = t.x0; x < t.x1; ++x) {
        const std::uint8_t* p = s + x * c;
        o[x * oc] = static_cast<std::uint8_t>((77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8);
        if (oc == 2) o[x * oc + 1] = p[3];
      }
    }
  });
  return out;
}

}  // namespace imgp
