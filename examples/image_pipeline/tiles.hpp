// The tiles an operation's output is cut into, each computed by one call of parallel_for.
#pragma once

#include <brigade/par/parallel_for.hpp>

#include <algorithm>

namespace imgp {

struct tile {
  int x0, y0, x1, y1;  // [x0, x1) x [y0, y1)
};

// 256 x 64 pixels: a tile's rows fit in L2 with the blur's margins, and a 3000 x 2000 image
// has a few hundred of them, plenty for lazy splitting to balance.
inline constexpr int tile_width = 256;
inline constexpr int tile_height = 64;

/// Calls f(tile) for every tile of a width x height image, in parallel on the ambient pool.
template <class F>
void for_each_tile(int width, int height, F&& f) {
  const int across = (width + tile_width - 1) / tile_width;
  const int down = (height + tile_height - 1) / tile_height;
  brigade::parallel_for(0, across * down, [&](int i) {
    const int tx = i % across, ty = i / across;
    f(tile{tx * tile_width, ty * tile_height, std::min(width, (tx + 1) * tile_width),
           std::min(height, (ty + 1) * tile_height)});
  });
}

}  // namespace imgp
