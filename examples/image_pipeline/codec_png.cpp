// PNG through libpng. libpng reports errors by longjmp: each setjmp lives in a small function
// whose frame holds no C++ object, and everything that must be freed is owned by the caller's
// frame (a longjmp never skips a destructor and never lands where a local was changed).
#include "codec.hpp"

#include <png.h>

#include <csetjmp>
#include <cstring>
#include <limits>
#include <new>
#include <string>

namespace imgp {
namespace {

// What libpng's callbacks see (via png_get_error_ptr / png_get_io_ptr): plain data only.
struct png_io {
  const std::uint8_t* next = nullptr;  // reading: what is left of the file
  std::size_t left = 0;
  std::vector<std::uint8_t>* out = nullptr;  // writing
  char message[256] = "";
};

[[noreturn]] void on_error(png_structp png, png_const_charp msg) {
  auto* io = static_cast<png_io*>(png_get_error_ptr(png));
  std::strncpy(io->message, msg, sizeof io->message - 1);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // warnings (a bad CRC in an ancillary chunk...)

void on_read(png_structp png, png_bytep data, std::size_t n) {
  auto* io = static_cast<png_io*>(png_get_io_ptr(png));
  if (n > io->left) png_error(png, "truncated file");
  std::memcpy(data, io->next, n);
  io->next += n;
  io->left -= n;
}

void on_write(png_structp png, png_bytep data, std::size_t n) {
  auto* io = static_cast<png_io*>(png_get_io_ptr(png));
  try {
    io->out->insert(io->out->end(), data, data + n);
  } catch (const std::bad_alloc&) {
    png_error(png, "out of memory");
  }
}

void on_flush(png_structp) {}

// Reads the header and sets the transforms that give 8-bit gray, gray+alpha, RGB or RGBA.
bool read_header(png_structp png, png_infop info) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  png_set_strip_16(png);
  png_set_packing(png);
  png_set_expand(png);  // palette to RGB, gray below 8 bits to 8, tRNS to an alpha channel
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  return true;
}

bool read_rows(png_structp png, png_infop info, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, info);
  return true;
}

bool write_all(png_structp png, png_infop info, const image* img, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  static constexpr int types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                  PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  png_set_IHDR(png, info, static_cast<png_uint_32>(img->width),
               static_cast<png_uint_32>(img->height), 8, types[img->channels - 1],
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, info);
  return true;
}

struct read_guard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~read_guard() { png_destroy_read_struct(&png, info != nullptr ? &info : nullptr, nullptr); }
};

struct write_guard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~write_guard() { png_destroy_write_struct(&png, info != nullptr ? &info : nullptr); }
};

}  // namespace

image decode_png(std::span<const std::uint8_t> bytes) {
  png_io io;
  io.next = bytes.data();
  io.left = bytes.size();
  read_guard g;
  g.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io, on_error, on_warning);
  if (g.png == nullptr) throw std::bad_alloc();
  g.info = png_create_info_struct(g.png);
  if (g.info == nullptr) throw std::bad_alloc();
  png_set_read_fn(g.png, &io, on_read);
  // Refuse absurd sizes before allocating (a corrupt header could claim 2^31 x 2^31).
  png_set_user_limits(g.png, 1u << 16, 1u << 16);
  if (!read_header(g.png, g.info)) throw codec_error(std::string("PNG: ") + io.message);
  const auto w = static_cast<int>(png_get_image_width(g.png, g.info));
  const auto h = static_cast<int>(png_get_image_height(g.png, g.info));
  if (static_cast<long long>(w) * h > max_pixels)
    throw codec_error("PNG: " + std::to_string(w) + "x" + std::to_string(h) + " is too large");
  const int channels = png_get_channels(g.png, g.info);
  if (channels < 1 || channels > 4 || png_get_rowbytes(g.png, g.info) != std::size_t(w) * channels)
    throw codec_error("PNG: unsupported pixel layout");
  image img(w, h, channels);
  std::vector<png_bytep> rows(static_cast<std::size_t>(h));
  for (int y = 0; y < h; ++y) rows[static_cast<std::size_t>(y)] = img.row(y);
  if (!read_rows(g.png, g.info, rows.data())) throw codec_error(std::string("PNG: ") + io.message);
  return img;
}

std::vector<std::uint8_t> encode_png(const image& img) {
  std::vector<std::uint8_t> out;
  png_io io;
  io.out = &out;
  write_guard g;
  g.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, on_error, on_warning);
  if (g.png == nullptr) throw std::bad_alloc();
  g.info = png_create_info_struct(g.png);
  if (g.info == nullptr) throw std::bad_alloc();
  png_set_write_fn(g.png, &io, on_write, on_flush);
  std::vector<png_bytep> rows(static_cast<std::size_t>(img.height));
  for (int y = 0; y < img.height; ++y)  // libpng's API is not const-correct; it only reads them
    rows[static_cast<std::size_t>(y)] = const_cast<png_bytep>(img.row(y));
  if (!write_all(g.png, g.info, &img, rows.data()))
    throw codec_error(std::string("PNG: ") + io.message);
  return out;
}

}  // namespace imgp
