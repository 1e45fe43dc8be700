// A self-contained SVG line chart: axes, a few labelled ticks, one polyline.
#include "plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace train {
namespace {

constexpr double width = 640, height = 400, left = 70, right = 20, top = 40, bottom = 50;

template <class... Numbers>
std::string fmt(const char* format, Numbers... values) {
  char buf[200];
  std::snprintf(buf, sizeof buf, format, static_cast<double>(values)...);
  return buf;
}

}  // namespace

std::string loss_svg(const std::vector<double>& losses) {
  const double most = std::max(*std::max_element(losses.begin(), losses.end()), 1e-12);
  const double n = static_cast<double>(losses.size());
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  auto px = [&](double epoch) { return left + (n > 1 ? (epoch - 1) / (n - 1) : 0.5) * plot_w; };
  auto py = [&](double loss) { return top + plot_h * (1 - loss / most); };

  std::string s =
      fmt("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
          "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
          "fill=\"white\"/>\n",
          width, height);
  s +=
      fmt("<text x=\"%g\" y=\"24\" font-size=\"15\">training loss (cross-entropy) per epoch"
          "</text>\n",
          left);
  s += fmt("<path d=\"M%g %gV%gH%g\" stroke=\"black\" fill=\"none\"/>\n", left, top, top + plot_h,
           left + plot_w);
  for (int k = 0; k <= 4; ++k) {  // y ticks: 0, ¼, ½, ¾ and all of the largest loss
    const double v = most * k / 4;
    s += fmt("<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.3g</text>\n", left - 6, py(v) + 4, v);
  }
  for (const double e : {1.0, std::max(1.0, std::round(n / 2)), n})
    s += fmt("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%g</text>\n", px(e), top + plot_h + 18,
             e);
  s += fmt("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">epoch</text>\n", left + plot_w / 2,
           height - 10);
  s += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"";
  for (std::size_t i = 0; i < losses.size(); ++i)
    s += fmt("%.2f,%.2f ", px(static_cast<double>(i + 1)), py(losses[i]));
  s += "\"/>\n</svg>\n";
  return s;
}

}  // namespace train
