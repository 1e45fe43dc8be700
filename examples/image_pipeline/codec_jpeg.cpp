// JPEG through libjpeg-turbo. Its error manager must not return, so it longjmps: as in
// codec_png.cpp, each setjmp lives in a small function whose frame holds no C++ object.
#include "codec.hpp"

#include <jerror.h>
#include <jpeglib.h>
#include <cstdio>  // jpeglib.h needs FILE and size_t first

#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace imgp {
namespace {

// libjpeg's error manager, extended with the jump target and what went wrong.
struct error_manager {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = "";
  bool truncated = false;
};

[[noreturn]] void on_error(j_common_ptr c) {
  auto* e = reinterpret_cast<error_manager*>(c->err);
  (*c->err->format_message)(c, e->message);
  std::longjmp(e->jump, 1);
}

// Warnings go nowhere, but a file that ends early is an error: libjpeg would otherwise pad it
// with gray and call the image fine.
void on_message(j_common_ptr c, int level) {
  auto* e = reinterpret_cast<error_manager*>(c->err);
  if (level < 0 && c->err->msg_code == JWRN_JPEG_EOF) e->truncated = true;
}

void init_errors(error_manager& e) {
  jpeg_std_error(&e.mgr);
  e.mgr.error_exit = on_error;
  e.mgr.emit_message = on_message;
}

// The image's header; gray stays gray, everything else becomes RGB.
bool read_header(jpeg_decompress_struct* d, error_manager* e) {
  if (setjmp(e->jump)) return false;
  jpeg_read_header(d, TRUE);
  d->out_color_space = d->jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(d);
  return true;
}

bool read_rows(jpeg_decompress_struct* d, error_manager* e, std::uint8_t* pixels,
               std::size_t stride) {
  if (setjmp(e->jump)) return false;
  while (d->output_scanline < d->output_height) {
    JSAMPROW row = pixels + stride * d->output_scanline;
    jpeg_read_scanlines(d, &row, 1);
  }
  jpeg_finish_decompress(d);
  return true;
}

bool write_all(jpeg_compress_struct* c, error_manager* e, const image* img, std::uint8_t* line,
               int quality, unsigned char** out, unsigned long* size) {
  if (setjmp(e->jump)) return false;
  jpeg_mem_dest(c, out, size);
  c->image_width = static_cast<JDIMENSION>(img->width);
  c->image_height = static_cast<JDIMENSION>(img->height);
  const bool gray = img->channels <= 2;
  c->input_components = gray ? 1 : 3;
  c->in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(c);
  jpeg_set_quality(c, quality, TRUE);
  jpeg_start_compress(c, TRUE);
  const int keep = c->input_components;
  for (int y = 0; y < img->height; ++y) {
    const std::uint8_t* src = img->row(y);
    JSAMPROW row = const_cast<JSAMPROW>(src);  // libjpeg only reads the row
    if (keep != img->channels) {               // drop the alpha channel
      for (int x = 0; x < img->width; ++x)
        std::memcpy(line + x * keep, src + x * img->channels, static_cast<std::size_t>(keep));
      row = line;
    }
    jpeg_write_scanlines(c, &row, 1);
  }
  jpeg_finish_compress(c);
  return true;
}

struct decompress_guard {
  jpeg_decompress_struct d{};
  ~decompress_guard() { jpeg_destroy_decompress(&d); }
};

struct compress_guard {
  jpeg_compress_struct c{};
  unsigned char* out = nullptr;  // jpeg_mem_dest's buffer, malloc'ed by libjpeg
  ~compress_guard() {
    jpeg_destroy_compress(&c);
    std::free(out);
  }
};

}  // namespace

image decode_jpeg(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) throw codec_error("JPEG: empty file");  // libjpeg would call it fatal
  error_manager e;
  init_errors(e);
  decompress_guard g;
  g.d.err = &e.mgr;
  jpeg_create_decompress(&g.d);
  jpeg_mem_src(&g.d, bytes.data(), static_cast<unsigned long>(bytes.size()));
  if (!read_header(&g.d, &e)) throw codec_error(std::string("JPEG: ") + e.message);
  if (static_cast<long long>(g.d.output_width) * g.d.output_height > max_pixels)
    throw codec_error("JPEG: " + std::to_string(g.d.output_width) + "x" +
                      std::to_string(g.d.output_height) + " is too large");
  image img(static_cast<int>(g.d.output_width), static_cast<int>(g.d.output_height),
            g.d.output_components);
  if (!read_rows(&g.d, &e, img.pixels.data(), img.stride()))
    throw codec_error(std::string("JPEG: ") + e.message);
  if (e.truncated) throw codec_error("JPEG: truncated file");
  return img;
}

std::vector<std::uint8_t> encode_jpeg(const image& img, int quality) {
  error_manager e;
  init_errors(e);
  compress_guard g;
  g.c.err = &e.mgr;
  jpeg_create_compress(&g.c);
  std::vector<std::uint8_t> line(static_cast<std::size_t>(img.width) * 3);
  unsigned long size = 0;
  if (!write_all(&g.c, &e, &img, line.data(), quality, &g.out, &size))
    throw codec_error(std::string("JPEG: ") + e.message);
  return std::vector<std::uint8_t>(g.out, g.out + size);
}

}  // namespace imgp
