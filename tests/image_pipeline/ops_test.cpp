// Each operation equals its serial reference exactly, on images that span several tiles and on
// images smaller than the blur's radius; and --ops parsing.
#include "ops.hpp"
#include "reference.hpp"
#include "test_images.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <stdexcept>
#include <string>

namespace {

using imgp::image;
using imgp::testing::make_image;

void expect_same(const image& a, const image& b) {
  ASSERT_EQ(a.width, b.width);
  ASSERT_EQ(a.height, b.height);
  ASSERT_EQ(a.channels, b.channels);
  EXPECT_TRUE(a.pixels == b.pixels);
}

struct shape {
  int w, h, c;
};
// 600 x 150: three tiles across (the last partial), three down; 5 x 3: smaller than a radius.
const shape shapes[] = {{600, 150, 3}, {300, 70, 1}, {257, 65, 4},
                        {40, 30, 2},   {5, 3, 3},    {1, 1, 1}};

TEST(image_ops, blur_equals_the_serial_reference) {
  for (const shape s : shapes)
    for (const double sigma : {0.3, 1.0, 2.0, 3.7}) {
      SCOPED_TRACE(std::to_string(s.w) + "x" + std::to_string(s.h) + "x" + std::to_string(s.c) +
                   " sigma " + std::to_string(sigma));
      const image in = make_image(s.w, s.h, s.c, 7);
      expect_same(imgp::blur(in, sigma), imgp::reference::blur(in, sigma));
    }
}

TEST(image_ops, sharpen_gray_and_resize_equal_the_serial_references) {
  for (const shape s : shapes) {
    SCOPED_TRACE(std::to_string(s.w) + "x" + std::to_string(s.h) + "x" + std::to_string(s.c));
    const image in = make_image(s.w, s.h, s.c, 3);
    expect_same(imgp::sharpen(in), imgp::reference::sharpen(in));
    expect_same(imgp::gray(in), imgp::reference::gray(in));
    for (const double f : {0.5, 0.3, 1.0, 1.7, 2.0}) {
      SCOPED_TRACE("factor " + std::to_string(f));
      expect_same(imgp::resize(in, f), imgp::reference::resize(in, f));
    }
  }
}

TEST(image_ops, gaussian_weights_are_symmetric_and_sum_to_one) {
  for (const double sigma : {0.1, 0.5, 2.0, 10.0, 50.0}) {
    const std::vector<std::int32_t> w = imgp::gaussian_weights(sigma);
    EXPECT_EQ(w.size(), 2 * std::max<std::size_t>(1, std::size_t(std::ceil(3 * sigma))) + 1);
    EXPECT_EQ(std::accumulate(w.begin(), w.end(), 0), 1 << 14);
    for (std::size_t i = 0; i < w.size(); ++i) EXPECT_EQ(w[i], w[w.size() - 1 - i]);
  }
}

TEST(image_ops, blur_keeps_a_flat_image_flat) {
  image in(300, 100, 3);
  std::fill(in.pixels.begin(), in.pixels.end(), 201);
  const image out = imgp::blur(in, 2.5);
  EXPECT_TRUE(std::all_of(out.pixels.begin(), out.pixels.end(), [](auto v) { return v == 201; }));
}

TEST(image_ops, a_chain_applies_in_order) {
  const image in = make_image(120, 80, 4, 5);
  const auto ops = imgp::parse_ops("blur:1.5,sharpen,gray,resize:0.5");
  const image expected = imgp::reference::resize(
      imgp::reference::gray(imgp::reference::sharpen(imgp::reference::blur(in, 1.5))), 0.5);
  expect_same(imgp::apply_all(in, ops), expected);
  EXPECT_EQ(expected.channels, 2);
  EXPECT_EQ(expected.width, 60);
}

std::string parse_error(const char* spec) {
  try {
    imgp::parse_ops(spec);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(image_ops, parsing_names_the_bad_item) {
  EXPECT_EQ(imgp::parse_ops("blur:2,sharpen,gray,resize:0.5").size(), 4u);
  EXPECT_EQ(parse_error("blur:2,sharpn"),
            "--ops: unknown operation \"sharpn\" (known: blur:SIGMA, sharpen, gray, "
            "resize:FACTOR)");
  EXPECT_EQ(parse_error("blur:abc"), "--ops: \"blur:abc\": sigma must be a number in (0, 50]");
  EXPECT_EQ(parse_error("blur:0"), "--ops: \"blur:0\": sigma must be a number in (0, 50]");
  EXPECT_EQ(parse_error("blur"), "--ops: \"blur\": sigma must be a number in (0, 50]");
  EXPECT_EQ(parse_error("blur:nan"), "--ops: \"blur:nan\": sigma must be a number in (0, 50]");
  EXPECT_EQ(parse_error("resize:17"), "--ops: \"resize:17\": factor must be a number in (0, 16]");
  EXPECT_EQ(parse_error("gray,"),
            "--ops: unknown operation \"\" (known: blur:SIGMA, sharpen, "
            "gray, resize:FACTOR)");
  EXPECT_EQ(parse_error("gray:1"),
            "--ops: unknown operation \"gray:1\" (known: blur:SIGMA, "
            "sharpen, gray, resize:FACTOR)");
  EXPECT_EQ(parse_error(""), "--ops: empty list of operations");
}

}  // namespace
