// Parsing --ops, and applying a parsed list.
#include "ops.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace imgp {
namespace {

double number_in(std::string_view item, std::string_view arg, const char* what, double hi) {
  double v = 0;
  const auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), v);
  if (arg.empty() || ec != std::errc() || end != arg.data() + arg.size() || !std::isfinite(v) ||
      v <= 0 || v > hi)
    throw std::invalid_argument("--ops: \"" + std::string(item) + "\": " + what +
                                " must be a number in (0, " + std::to_string(int(hi)) + "]");
  return v;
}

}  // namespace

std::vector<operation> parse_ops(std::string_view spec) {
  std::vector<operation> ops;
  if (spec.empty()) throw std::invalid_argument("--ops: empty list of operations");
  std::size_t at = 0;
  while (at <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', at), spec.size());
    const std::string_view item = spec.substr(at, comma - at);
    const std::size_t colon = item.find(':');
    const std::string_view name = item.substr(0, colon);
    const std::string_view arg = colon == std::string_view::npos ? "" : item.substr(colon + 1);
    operation op;
    op.text = item;
    if (name == "blur") {
      op.what = operation::kind::blur;
      op.value = number_in(item, arg, "sigma", 50);
    } else if (name == "resize") {
      op.what = operation::kind::resize;
      op.value = number_in(item, arg, "factor", 16);
    } else if ((name == "sharpen" || name == "gray") && colon == std::string_view::npos) {
      op.what = name == "gray" ? operation::kind::gray : operation::kind::sharpen;
    } else {
      throw std::invalid_argument("--ops: unknown operation \"" + std::string(item) +
                                  "\" (known: blur:SIGMA, sharpen, gray, resize:FACTOR)");
    }
    ops.push_back(std::move(op));
    at = comma + 1;
  }
  return ops;
}

image apply(const image& src, const operation& op) {
  switch (op.what) {
    case operation::kind::blur:
      return blur(src, op.value);
    case operation::kind::sharpen:
      return sharpen(src);
    case operation::kind::gray:
      return gray(src);
    case operation::kind::resize:
      return resize(src, op.value);
  }
  return src;
}

image apply_all(image img, const std::vector<operation>& ops) {
  for (const operation& op : ops) img = apply(img, op);
  return img;
}

}  // namespace imgp
