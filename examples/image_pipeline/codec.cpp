// Choosing a codec: by the first bytes when decoding, by the file name's extension for output.
#include "codec.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace imgp {

bool format_of_name(std::string_view name, file_format& out) noexcept {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string ext(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == "png") {
    out = file_format::png;
    return true;
  }
  if (ext == "jpg" || ext == "jpeg") {
    out = file_format::jpeg;
    return true;
  }
  return false;
}

image decode(std::span<const std::uint8_t> bytes) {
  static constexpr std::uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 8 && std::equal(png_magic, png_magic + 8, bytes.begin()))
    return decode_png(bytes);
  if (bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff)
    return decode_jpeg(bytes);
  throw codec_error(bytes.empty() ? "empty file" : "neither a PNG nor a JPEG file");
}

std::vector<std::uint8_t> encode(const image& img, file_format f, int jpeg_quality) {
  if (img.width <= 0 || img.height <= 0 || img.channels < 1 || img.channels > 4)
    throw codec_error("cannot encode an empty image");
  return f == file_format::png ? encode_png(img) : encode_jpeg(img, jpeg_quality);
}

}  // namespace imgp
