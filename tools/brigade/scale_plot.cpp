// Draws speedup against threads (or MPI ranks) as SVG: measured points, the Amdahl fit and the
// ideal line.
#include "scale_plot.hpp"

#include <brigade/trace_tools/html_page.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace brigade::cli {
namespace {

constexpr double width = 640, height = 420;
constexpr double left = 60, right = 20, top = 40, bottom = 50;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// A round step for about five ticks up to max.
double tick_step(double max) {
  const double raw = max / 5;
  const double base = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * base >= raw) return m * base;
  return 10 * base;
}

struct axes {
  double x_max, y_max;
  double x(double p) const { return left + (p - 1) / (x_max - 1) * (width - left - right); }
  double y(double s) const { return height - bottom - s / y_max * (height - top - bottom); }
};

}  // namespace

std::string speedup_svg(const scaling& s, const std::string& title, const std::string& axis) {
  const double n = s.threads.empty() ? 1 : *std::max_element(s.threads.begin(), s.threads.end());
  const double f = s.serial_fraction;
  const bool has_fit = !std::isnan(f);
  double y_max = n;
  for (double v : s.speedup) y_max = std::max(y_max, v);
  const double x_max = std::max(2.0, 4 * n);
  if (has_fit) y_max = std::max(y_max, amdahl_speedup(f, x_max));
  const axes a{x_max, y_max * 1.1};

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width) +
                    "\" height=\"" + num(height) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + num(width / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">" +
         trace::escape_markup(title) + "</text>\n";
  svg += "<clipPath id=\"plot\"><rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" +
         num(width - left - right) + "\" height=\"" + num(height - top - bottom) +
         "\"/></clipPath>\n";

  // Axes, ticks and labels.
  svg += "<g stroke=\"#888\">\n<line x1=\"" + num(left) + "\" y1=\"" + num(a.y(0)) + "\" x2=\"" +
         num(width - right) + "\" y2=\"" + num(a.y(0)) + "\"/>\n<line x1=\"" + num(left) +
         "\" y1=\"" + num(top) + "\" x2=\"" + num(left) + "\" y2=\"" + num(a.y(0)) + "\"/>\n</g>\n";
  const double xs = std::max(1.0, std::round(tick_step(x_max)));
  for (double p = 1; p <= x_max + 1e-9; p = (p == 1 && xs > 1) ? xs : p + xs)
    svg += "<text x=\"" + num(a.x(p)) + "\" y=\"" + num(height - bottom + 18) +
           "\" text-anchor=\"middle\">" + std::to_string(static_cast<long>(p)) + "</text>\n";
  const double ys = tick_step(a.y_max);
  for (double v = 0; v <= a.y_max + 1e-9; v += ys) {
    char label[32];
    std::snprintf(label, sizeof label, "%g", v);
    svg += "<text x=\"" + num(left - 8) + "\" y=\"" + num(a.y(v) + 4) + "\" text-anchor=\"end\">" +
           label + "</text>\n";
  }
  svg += "<text x=\"" + num((left + width - right) / 2) + "\" y=\"" + num(height - 12) +
         "\" text-anchor=\"middle\">" + axis + "</text>\n";
  svg += "<text transform=\"translate(16 " + num((top + height - bottom) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">speedup</text>\n";

  // Ideal, Amdahl, measured.
  svg += "<g clip-path=\"url(#plot)\" fill=\"none\" stroke-width=\"2\">\n";
  svg += "<line x1=\"" + num(a.x(1)) + "\" y1=\"" + num(a.y(1)) + "\" x2=\"" + num(a.x(x_max)) +
         "\" y2=\"" + num(a.y(x_max)) + "\" stroke=\"#aaa\" stroke-dasharray=\"6 4\"/>\n";
  if (has_fit) {
    std::string points;
    for (int i = 0; i <= 100; ++i) {
      const double p = 1 + (x_max - 1) * i / 100;
      points += num(a.x(p)) + "," + num(a.y(amdahl_speedup(f, p))) + " ";
    }
    svg += "<polyline points=\"" + points + "\" stroke=\"#d62728\"/>\n";
  }
  std::string measured;
  for (std::size_t i = 0; i < s.threads.size(); ++i)
    measured += num(a.x(s.threads[i])) + "," + num(a.y(s.speedup[i])) + " ";
  svg += "<polyline points=\"" + measured + "\" stroke=\"#1f77b4\"/>\n</g>\n";
  for (std::size_t i = 0; i < s.threads.size(); ++i)
    svg += "<circle cx=\"" + num(a.x(s.threads[i])) + "\" cy=\"" + num(a.y(s.speedup[i])) +
           "\" r=\"4\" fill=\"#1f77b4\"/>\n";

  // Legend.
  const double lx = left + 16, ly = top + 12;
  svg += "<g font-size=\"12\">\n";
  svg += "<line x1=\"" + num(lx) + "\" y1=\"" + num(ly) + "\" x2=\"" + num(lx + 24) + "\" y2=\"" +
         num(ly) + "\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"" + num(lx + 30) +
         "\" y=\"" + num(ly + 4) + "\">measured</text>\n";
  if (has_fit) {
    char label[64];
    std::snprintf(label, sizeof label, "Amdahl, serial fraction %.3f", f);
    svg += "<line x1=\"" + num(lx) + "\" y1=\"" + num(ly + 18) + "\" x2=\"" + num(lx + 24) +
           "\" y2=\"" + num(ly + 18) + "\" stroke=\"#d62728\" stroke-width=\"2\"/><text x=\"" +
           num(lx + 30) + "\" y=\"" + num(ly + 22) + "\">" + label + "</text>\n";
  }
  svg += "<line x1=\"" + num(lx) + "\" y1=\"" + num(ly + 36) + "\" x2=\"" + num(lx + 24) +
         "\" y2=\"" + num(ly + 36) +
         "\" stroke=\"#aaa\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/><text x=\"" +
         num(lx + 30) + "\" y=\"" + num(ly + 40) + "\">ideal</text>\n</g>\n</svg>\n";
  return svg;
}

}  // namespace brigade::cli
