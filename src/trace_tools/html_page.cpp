// The HTML page of a trace: inline SVG lanes, a legend, the analysis, and a few lines of script
// for zooming and panning; nothing is loaded from anywhere.
#include <brigade/trace_tools/html_page.hpp>

#include "printable.hpp"
#include "time_math.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace brigade::trace {
namespace {

// Drawing units (the SVG scales to the window; these only fix proportions).
constexpr double name_width = 170;  // lane names, left of the plot
constexpr double plot_width = 1000;
constexpr double lane_height = 26;
constexpr double bar_height = 18;
constexpr double axis_height = 24;  // tick labels above the lanes

using detail::add;
using detail::length;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  std::string s = buf;
  s.erase(s.find_last_not_of('0') + 1);  // "12.500" -> "12.5", "3.000" -> "3."
  if (s.back() == '.') s.pop_back();
  return s;
}

// A colour per label rank: hues a golden angle apart stay distinct for many labels.
std::string color(std::size_t rank) {
  const double hue = static_cast<double>((rank * 137508) % 360000) / 1000.0;
  return "hsl(" + num(hue) + ",65%," + (rank % 2 == 0 ? "55%" : "45%") + ")";
}

constexpr std::string_view style = R"(<style>
body{font:14px system-ui,sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:18px;margin:0 0 8px}
pre{background:#f6f6f6;padding:8px;overflow:auto}
.controls button{font:inherit;margin-right:4px}
svg#timeline{width:100%;height:auto;border:1px solid #ccc;cursor:grab;user-select:none}
.lane-name{font:12px monospace;dominant-baseline:middle}
.tick{font:11px monospace;fill:#555}
.seg{stroke:#fff;stroke-width:0.5}
.seg.crit{stroke:#000;stroke-width:1.5}
.idle{fill:#bbb;opacity:0.6}
.lock{fill:#d33;opacity:0.7}
.comm{fill:#36c;opacity:0.5}
.sync{fill:#e90;opacity:0.5}
rect{vector-effect:non-scaling-stroke}
.legend span{display:inline-block;margin:2px 12px 2px 0}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
</style>
)";

// Wheel zooms around the pointer, dragging pans, +/- zoom around the middle; tick labels follow.
constexpr std::string_view script = R"(<script>
(function () {
  var svg = document.getElementById('timeline');
  var zoom = document.getElementById('zoom');
  var axis = document.getElementById('axis');
  var W = +svg.dataset.plotWidth, X0 = +svg.dataset.plotX, D = +svg.dataset.durationNs;
  var H = +svg.dataset.height, VW = +svg.dataset.viewWidth;
  var k = 1, tx = 0, drag = null;
  function fmt(ns) {
    var a = Math.abs(ns);
    if (a < 1e3) return ns.toFixed(0) + ' ns';
    if (a < 1e6) return +(ns / 1e3).toPrecision(3) + ' \u00b5s';
    if (a < 1e9) return +(ns / 1e6).toPrecision(3) + ' ms';
    return +(ns / 1e9).toPrecision(3) + ' s';
  }
  function draw() {
    k = Math.min(Math.max(k, 1), 1e7);
    tx = Math.min(0, Math.max(tx, W - W * k));
    zoom.setAttribute('transform', 'matrix(' + k + ',0,0,1,' + tx + ',0)');
    var from = -tx / k / W * D, to = (W - tx) / k / W * D, raw = (to - from) / 8;
    var step = Math.pow(10, Math.floor(Math.log10(raw > 0 ? raw : 1)));
    if (raw / step > 5) step *= 5; else if (raw / step > 2) step *= 2;
    var out = '';
    for (var t = Math.ceil(from / step) * step; t <= to; t += step) {
      var x = X0 + t / D * W * k + tx;
      out += '<line x1="' + x + '" x2="' + x + '" y1="16" y2="' + H + '" stroke="#eee"/>' +
             '<text class="tick" x="' + (x + 2) + '" y="12">' + fmt(t) + '</text>';
    }
    axis.innerHTML = out;
  }
  function plotX(e) {
    var r = svg.getBoundingClientRect();
    return (e.clientX - r.left) * VW / r.width - X0;
  }
  function zoomAt(x, f) { var u = (x - tx) / k; k *= f; k = Math.min(Math.max(k, 1), 1e7); tx = x - u * k; draw(); }
  svg.addEventListener('wheel', function (e) {
    e.preventDefault();
    zoomAt(plotX(e), e.deltaY < 0 ? 1.25 : 0.8);
  }, {passive: false});
  svg.addEventListener('mousedown', function (e) { drag = {x: plotX(e), tx: tx}; svg.style.cursor = 'grabbing'; });
  window.addEventListener('mousemove', function (e) { if (drag) { tx = drag.tx + plotX(e) - drag.x; draw(); } });
  window.addEventListener('mouseup', function () { drag = null; svg.style.cursor = ''; });
  document.getElementById('zoom-in').onclick = function () { zoomAt(W / 2, 1.5); };
  document.getElementById('zoom-out').onclick = function () { zoomAt(W / 2, 1 / 1.5); };
  document.getElementById('zoom-reset').onclick = function () { k = 1; tx = 0; draw(); };
  draw();
})();
</script>
)";

}  // namespace

std::string html_page(const trace_file& t, const analysis& a, const html_options& options) {
  std::int64_t duration = std::max<std::int64_t>(t.duration_ns, 1);
  for (const trace_segment& s : t.segments) duration = std::max(duration, s.end_ns);
  for (const trace_slice& s : t.slices) duration = std::max(duration, s.end_ns);
  const double scale = plot_width / static_cast<double>(duration);
  const double height = axis_height + lane_height * static_cast<double>(t.lanes.size()) + 4;
  const double view_width = name_width + plot_width + 10;

  // Labels by total time, the busiest first, as in the terminal timeline.
  const std::size_t labels = t.labels.size();
  const detail::label_ranking ranking = detail::rank_labels(t);
  const std::vector<std::int64_t>& total = ranking.total;
  const std::vector<std::size_t>& count = ranking.count;
  const std::vector<std::uint32_t>& order = ranking.order;
  std::vector<std::string> fill(labels, "#888");
  for (std::size_t r = 0; r < order.size(); ++r) fill[order[r]] = color(r);

  const std::unordered_set<std::uint64_t> critical(a.critical_path.begin(), a.critical_path.end());
  const bool one_process = t.processes <= 1;

  std::string out;
  out.reserve(512 + 200 * (t.segments.size() + t.slices.size()));
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
         escape_markup(options.title) + "</title>\n";
  out += style;
  out += "</head>\n<body>\n<h1>" + escape_markup(options.title) + "</h1>\n";
  out +=
      "<div class=\"controls\"><button id=\"zoom-in\">+</button><button id=\"zoom-out\">-"
      "</button><button id=\"zoom-reset\">reset</button> wheel: zoom, drag: pan, hover: "
      "details; outlined: the critical path</div>\n";

  out += "<svg id=\"timeline\" viewBox=\"0 0 " + num(view_width) + " " + num(height) +
         "\" data-plot-width=\"" + num(plot_width) + "\" data-plot-x=\"" + num(name_width) +
         "\" data-duration-ns=\"" + std::to_string(duration) + "\" data-height=\"" + num(height) +
         "\" data-view-width=\"" + num(view_width) + "\">\n";
  out += "<defs><clipPath id=\"plot-clip\"><rect x=\"0\" y=\"0\" width=\"" + num(plot_width) +
         "\" height=\"" + num(height) + "\"/></clipPath></defs>\n";
  out += "<g id=\"axis\"></g>\n";
  for (std::uint32_t l = 0; l < t.lanes.size(); ++l) {
    const double y = axis_height + lane_height * l;
    out += "<text class=\"lane-name\" x=\"4\" y=\"" + num(y + lane_height / 2) + "\">" +
           escape_markup(lane_title(t, l)) + "</text>\n";
  }
  out += "<g transform=\"translate(" + num(name_width) +
         ",0)\" clip-path=\"url(#plot-clip)\">\n<g id=\"zoom\">\n";
  auto bar = [&](std::uint32_t lane, std::int64_t begin, std::int64_t end, double inset) {
    const double y = axis_height + lane_height * lane + (lane_height - bar_height) / 2 + inset;
    const double w = std::max(static_cast<double>(length(begin, end)) * scale, 0.05);
    return "x=\"" + num(static_cast<double>(begin) * scale) + "\" y=\"" + num(y) + "\" width=\"" +
           num(w) + "\" height=\"" + num(bar_height - 2 * inset) + "\"";
  };
  for (const trace_slice& s : t.slices) {
    if (s.lane >= t.lanes.size()) continue;
    const bool lock = s.what == trace_slice::kind::lock_wait;
    const bool comm = s.what == trace_slice::kind::comm_wait;
    const bool sync = s.what == trace_slice::kind::sync_wait;
    const char* what = lock                                  ? "waiting for lock "
                       : comm || sync                        ? "waiting for "
                       : s.what == trace_slice::kind::parked ? "parked"
                                                             : "waiting for I/O";
    std::string title = what;
    if ((lock || comm || sync) && s.label < labels) title += escape_markup(t.labels[s.label]);
    out += "<rect class=\"" +
           std::string(lock   ? "lock"
                       : comm ? "comm"
                       : sync ? "sync"
                              : "idle") +
           "\" " + bar(s.lane, s.begin_ns, s.end_ns, 4) + "><title>" + title + ", " +
           format_duration(length(s.begin_ns, s.end_ns)) + "</title></rect>\n";
  }
  for (const trace_segment& s : t.segments) {
    if (s.lane >= t.lanes.size()) continue;
    const bool crit = one_process && critical.count(s.id) != 0;
    const std::string label = s.label < labels ? escape_markup(t.labels[s.label]) : "?";
    out += "<rect class=\"seg" + std::string(crit ? " crit" : "") + "\" data-segment=\"" +
           std::to_string(s.id) + "\" " + bar(s.lane, s.begin_ns, s.end_ns, 0) + " fill=\"" +
           (s.label < labels ? fill[s.label] : "#888") + "\"><title>" + label + ": " +
           format_duration(length(s.begin_ns, s.end_ns)) + " at " + format_duration(s.begin_ns) +
           " on " + escape_markup(lane_title(t, s.lane)) + " (segment " + std::to_string(s.id) +
           ")</title></rect>\n";
  }
  out += "</g>\n</g>\n</svg>\n";

  out += "<div class=\"legend\">";
  for (const std::size_t k : order)
    out += "<span><i style=\"background:" + fill[k] + "\"></i>" + escape_markup(t.labels[k]) +
           " (" + format_duration(total[k]) + ", " + std::to_string(count[k]) + ")</span>";
  out +=
      "<span><i class=\"idle\" style=\"background:#bbb\"></i>parked / waiting for I/O</span>"
      "<span><i style=\"background:#d33\"></i>waiting for a lock</span>";
  if (a.comm_waits > 0)
    out += "<span><i style=\"background:#36c\"></i>waiting for communication</span>";
  if (a.sync_waits > 0) out += "<span><i style=\"background:#e90\"></i>waiting for a signal</span>";
  out += "</div>\n";
  out += "<h2>Analysis</h2>\n<pre>" + escape_markup(describe(a, t), true) + "</pre>\n";
  out += script;
  out += "</body>\n</html>\n";
  return out;
}

std::string escape_markup(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : detail::printable(text, keep_newlines)) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

}  // namespace brigade::trace
