// An 8-bit image in memory, and the error every codec and operation throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace imgp {

/// The most pixels an image may have: 2^28 (e.g. 20000 x 13000). Decoders and resize refuse
/// more, since a corrupt or hostile header could otherwise make the program allocate gigabytes.
inline constexpr long long max_pixels = 1LL << 28;

/// Interleaved 8-bit samples, row after row: 1 channel (gray), 2 (gray, alpha), 3 (RGB) or
/// 4 (RGBA).
struct image {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;

  image() = default;
  image(int w, int h, int c)
      : width(w), height(h), channels(c), pixels(static_cast<std::size_t>(w) * h * c) {}
  std::size_t stride() const noexcept { return static_cast<std::size_t>(width) * channels; }
  std::uint8_t* row(int y) noexcept { return pixels.data() + stride() * y; }
  const std::uint8_t* row(int y) const noexcept { return pixels.data() + stride() * y; }
};

/// A file that cannot be decoded or an image that cannot be encoded; what() says why.
struct codec_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace imgp
