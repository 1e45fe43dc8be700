// Reading and writing PNG (libpng) and JPEG (libjpeg-turbo) files held in memory.
#pragma once

#include "image.hpp"

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace imgp {

enum class file_format { png, jpeg };

/// The format a file name's extension names (.png, .jpg, .jpeg, any case); nullopt-like false
/// when it names neither.
bool format_of_name(std::string_view name, file_format& out) noexcept;

/// Decodes a PNG or a JPEG file, recognized by its first bytes (not its name). PNG: palette,
/// low bit depths and tRNS are expanded, 16-bit samples keep their high byte. JPEG: gray or RGB.
/// Errors: codec_error saying what is wrong (unknown format, corrupt or truncated data).
image decode(std::span<const std::uint8_t> bytes);

/// Encodes img (1 to 4 channels; JPEG drops an alpha channel). Errors: codec_error.
std::vector<std::uint8_t> encode(const image& img, file_format f, int jpeg_quality = 90);

// The two codecs, for callers that know the format.
image decode_png(std::span<const std::uint8_t> bytes);
image decode_jpeg(std::span<const std::uint8_t> bytes);
std::vector<std::uint8_t> encode_png(const image& img);
std::vector<std::uint8_t> encode_jpeg(const image& img, int quality);

}  // namespace imgp
