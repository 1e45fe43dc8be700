// The codecs: PNG round trips exactly, JPEG closely, and broken files of every kind (garbage,
// truncated anywhere, a flipped byte) throw codec_error instead of crashing.
#include "codec.hpp"
#include "test_images.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace {

using imgp::codec_error;
using imgp::image;
using imgp::testing::make_image;

TEST(image_codecs, png_round_trips_exactly_for_every_channel_count) {
  for (int c = 1; c <= 4; ++c) {
    const image in = make_image(37, 23, c, std::uint32_t(c));
    const image out = imgp::decode(imgp::encode(in, imgp::file_format::png));
    EXPECT_EQ(out.width, 37);
    EXPECT_EQ(out.height, 23);
    EXPECT_EQ(out.channels, c);
    EXPECT_TRUE(out.pixels == in.pixels) << c << " channel(s)";
  }
}

TEST(image_codecs, jpeg_round_trips_closely_in_gray_and_rgb) {
  for (const int c : {1, 3}) {
    image in(64, 48, c);
    for (int y = 0; y < 48; ++y)  // smooth, so that JPEG keeps it well
      for (int x = 0; x < 64 * c; ++x) in.row(y)[x] = static_cast<std::uint8_t>(x / c * 2 + y);
    const image out = imgp::decode(imgp::encode(in, imgp::file_format::jpeg, 95));
    ASSERT_EQ(out.channels, c);
    ASSERT_EQ(out.width, 64);
    ASSERT_EQ(out.height, 48);
    long diff = 0;
    for (std::size_t i = 0; i < in.pixels.size(); ++i)
      diff += std::abs(in.pixels[i] - out.pixels[i]);
    EXPECT_LT(double(diff) / double(in.pixels.size()), 2.0);
  }
}

TEST(image_codecs, jpeg_drops_alpha) {
  const image out = imgp::decode(imgp::encode(make_image(20, 10, 4), imgp::file_format::jpeg));
  EXPECT_EQ(out.channels, 3);
}

void expect_codec_error(const std::vector<std::uint8_t>& bytes, const std::string& what) {
  try {
    imgp::decode(bytes);
    ADD_FAILURE() << what << ": decoded";
  } catch (const codec_error& e) {
    EXPECT_STRNE(e.what(), "") << what;
  }
}

TEST(image_codecs, every_truncation_is_an_error) {
  for (const auto f : {imgp::file_format::png, imgp::file_format::jpeg}) {
    const std::vector<std::uint8_t> good = imgp::encode(make_image(50, 40, 3), f);
    for (std::size_t n = 0; n < good.size(); n += 1 + n / 8) {
      expect_codec_error(
          std::vector<std::uint8_t>(good.begin(), good.begin() + long(n)),
          (f == imgp::file_format::png ? "PNG cut at " : "JPEG cut at ") + std::to_string(n));
    }
  }
}

TEST(image_codecs, garbage_and_corruption_are_errors) {
  expect_codec_error({}, "empty");
  expect_codec_error({'h', 'e', 'l', 'l', 'o'}, "text");
  std::vector<std::uint8_t> png = imgp::encode(make_image(50, 40, 3), imgp::file_format::png);
  std::vector<std::uint8_t> bad = png;
  bad[png.size() / 2] ^= 0x55;  // inside the image data: its CRC no longer matches
  expect_codec_error(bad, "flipped PNG byte");
  std::vector<std::uint8_t> header_only(png.begin(), png.begin() + 8);
  header_only.resize(400, 0xab);
  expect_codec_error(header_only, "PNG signature then garbage");
  std::vector<std::uint8_t> jpeg_garbage = {0xff, 0xd8, 0xff};
  jpeg_garbage.resize(400, 0x17);
  expect_codec_error(jpeg_garbage, "JPEG signature then garbage");
}

TEST(image_codecs, names_choose_the_output_format) {
  imgp::file_format f{};
  EXPECT_TRUE(imgp::format_of_name("a.PNG", f));
  EXPECT_EQ(f, imgp::file_format::png);
  EXPECT_TRUE(imgp::format_of_name("frame.0001.Jpeg", f));
  EXPECT_EQ(f, imgp::file_format::jpeg);
  EXPECT_FALSE(imgp::format_of_name("notes.txt", f));
  EXPECT_FALSE(imgp::format_of_name("png", f));
}

}  // namespace
