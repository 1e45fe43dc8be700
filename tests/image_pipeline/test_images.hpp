// Small images for the tests: a deterministic mix of gradients and noise, any size and channels.
#pragma once

#include "image.hpp"

#include <cstdint>

namespace imgp::testing {

inline image make_image(int w, int h, int c, std::uint32_t seed = 1) {
  image img(w, h, c);
  std::uint32_t s = seed * 2654435761u + 12345u;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) {
        s = s * 1664525u + 1013904223u;  // noise on a gradient, with hard edges every 16 pixels
        const int v = (x * 255 / w + y * 3 + k * 60 + ((x / 16 + y / 16) % 2) * 90) % 256;
        img.row(y)[x * c + k] = static_cast<std::uint8_t>((v + (s >> 28)) % 256);
      }
  return img;
}

}  // namespace imgp::testing
