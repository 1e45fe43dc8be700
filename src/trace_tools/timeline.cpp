// The terminal timeline: each lane's time cut into columns, each column drawn as what filled most
// of it, then a time axis and the legend.
#include <brigade/trace_tools/timeline.hpp>

#include "printable.hpp"
#include "time_math.hpp"

#include <brigade/trace_tools/analysis.hpp>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brigade::trace {
namespace {

// Glyphs for labels, the busiest first; labels past the last share "+".
constexpr std::string_view label_glyphs[] = {"█", "▓", "▒", "░", "▚", "■", "◆", "●", "▲", "#", "=",
                                             "%", "@", "&", "*", "o", "A", "B", "C", "D", "E", "F",
                                             "G", "H", "I", "J", "K", "L", "M", "N", "P", "R"};
constexpr std::size_t glyph_count = std::size(label_glyphs);
constexpr std::string_view other_glyph = "+";
constexpr std::string_view colors[] = {"\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[34m",
                                       "\x1b[35m", "\x1b[36m", "\x1b[91m", "\x1b[92m",
                                       "\x1b[93m", "\x1b[94m", "\x1b[95m", "\x1b[96m"};
constexpr std::size_t color_count = std::size(colors);
constexpr std::string_view reset = "\x1b[0m";

// What a column can show besides labels (keys past the labels').
enum idle_key : std::uint32_t { parked_key, io_key, lock_key, comm_key, sync_key, idle_keys };
constexpr std::string_view idle_glyphs[] = {"·", "~", "x", "≈", "-"};
constexpr std::string_view idle_names[] = {"parked", "waiting for I/O", "waiting for a lock",
                                           "waiting for communication", "waiting for a signal"};

using detail::add;
using detail::length;

bool continuation_byte(char c) noexcept {
  return (static_cast<unsigned char>(c) & 0xc0) == 0x80;
}

// Columns on a terminal: code points, ANSI escape sequences excluded.
std::size_t display_width(std::string_view s) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b') {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    n += !continuation_byte(s[i]);
  }
  return n;
}

// Text from the trace file, made printable (so it holds no escapes of its own), cut to at most
// `columns` code points and padded to exactly that many when pad is set.
std::string fit(std::string_view text, std::size_t columns, bool pad) {
  const std::string s = detail::printable(text);
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!continuation_byte(s[i])) {
      if (n == columns) break;
      ++n;
    }
    out += s[i];
  }
  if (pad) out.append(columns - n, ' ');
  return out;
}

// Keeps a finished line within the width (the legend's label names may be long).
void add_line(std::string& out, const std::string& line, std::size_t width) {
  if (display_width(line) <= width) {
    out += line;
  } else {
    // Only legend lines get here, and they hold no escapes after their glyph.
    std::string cut;
    std::size_t n = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\x1b') {
        const std::size_t end = line.find('m', i);
        cut.append(line, i, end - i + 1);
        i = end;
        continue;
      }
      if (!continuation_byte(line[i]) && n++ == width) break;
      cut += line[i];
    }
    out += cut;
  }
  out += '\n';
}

struct cell {
  std::uint32_t key;
  double ns;
};

// Per lane and column, how long each key filled the column.
class grid {
 public:
  grid(std::size_t lanes, std::size_t columns, double duration)
      : columns_(columns),
        per_column_(duration / static_cast<double>(columns)),
        cells_(lanes * columns) {}

  void add(std::uint32_t lane, std::uint32_t key, std::int64_t begin, std::int64_t end,
           bool always_show) {
    if (end < begin) std::swap(begin, end);
    const double b = static_cast<double>(begin);
    const double e = static_cast<double>(end);
    const std::size_t first = column_of(b);
    std::size_t last = column_of(e);
    if (last > first && end_on(e)) --last;  // ending on a column's start leaves that column alone
    for (std::size_t c = first; c <= last; ++c) {
      const double lo = static_cast<double>(c) * per_column_;
      double overlap = std::min(e, lo + per_column_) - std::max(b, lo);
      // A task shorter than a column still shows where nothing longer filled it.
      if (always_show) overlap = std::max(overlap, 0.5);
      if (overlap <= 0) continue;
      auto& v = cells_[lane * columns_ + c];
      const auto it = std::find_if(v.begin(), v.end(), [&](const cell& x) { return x.key == key; });
      if (it == v.end())
        v.push_back({key, overlap});
      else
        it->ns += overlap;
    }
  }

  // The key that filled most of a column; `none` when nothing did.
  std::uint32_t winner(std::uint32_t lane, std::size_t column, std::uint32_t none) const {
    std::uint32_t best = none;
    double best_ns = 0;
    for (const cell& x : cells_[lane * columns_ + column]) {
      if (x.ns > best_ns || (x.ns == best_ns && x.key < best)) {
        best = x.key;
        best_ns = x.ns;
      }
    }
    return best;
  }

 private:
  std::size_t column_of(double ns) const {
    const double c = ns / per_column_;
    if (!(c > 0)) return 0;
    if (c >= static_cast<double>(columns_)) return columns_ - 1;  // before the cast: no overflow
    return static_cast<std::size_t>(c);
  }
  // Whether ns falls exactly on a column's start (an interval ending there leaves that column).
  bool end_on(double ns) const {
    const double c = ns / per_column_;
    return c < static_cast<double>(columns_) &&
           c == static_cast<double>(static_cast<std::size_t>(c));
  }

  std::size_t columns_;
  double per_column_;
  std::vector<std::vector<cell>> cells_;
};

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

std::string draw_timeline(const trace_file& t, const timeline_options& options) {
  if (options.width < 20)
    throw std::invalid_argument("brigade::trace::draw_timeline: width " +
                                std::to_string(options.width) + " is below the minimum of 20");
  const std::size_t width = options.width;
  if (t.lanes.empty()) return fit("(an empty trace: nothing was recorded)", width, false) + "\n";

  std::int64_t duration = std::max<std::int64_t>(t.duration_ns, 1);
  for (const trace_segment& s : t.segments) duration = std::max(duration, s.end_ns);
  for (const trace_slice& s : t.slices) duration = std::max(duration, s.end_ns);

  std::vector<std::string> titles;
  std::size_t name_width = 1;
  for (std::uint32_t l = 0; l < t.lanes.size(); ++l) {
    titles.push_back(detail::printable(lane_title(t, l)));
    name_width = std::max(name_width, display_width(titles.back()));
  }
  name_width = std::min(name_width, width / 3);
  const std::size_t columns = width - name_width - 3;  // " │" before the plot, "│" after it

  // Labels by total time, the busiest first: they get the most legible glyphs.
  const auto labels = static_cast<std::uint32_t>(t.labels.size());
  const detail::label_ranking ranking = detail::rank_labels(t);
  const std::vector<std::int64_t>& total = ranking.total;
  const std::vector<std::size_t>& count = ranking.count;
  const std::vector<std::uint32_t>& order = ranking.order;
  std::vector<std::size_t> rank(labels, SIZE_MAX);
  for (std::size_t r = 0; r < order.size(); ++r) rank[order[r]] = r;

  auto glyph = [&](std::size_t r) -> std::string {
    if (options.color)
      return std::string(colors[r % color_count]) +
             std::string(label_glyphs[(r / color_count) % 4]);
    return std::string(r < glyph_count ? label_glyphs[r] : other_glyph);
  };

  grid g(t.lanes.size(), columns, static_cast<double>(duration));
  for (const trace_segment& s : t.segments)
    if (s.lane < t.lanes.size() && s.label < labels)
      g.add(s.lane, s.label, s.begin_ns, s.end_ns, true);
  bool idle_seen[idle_keys] = {};
  for (const trace_slice& s : t.slices) {
    if (s.lane >= t.lanes.size()) continue;
    const idle_key k = s.what == trace_slice::kind::parked      ? parked_key
                       : s.what == trace_slice::kind::io_wait   ? io_key
                       : s.what == trace_slice::kind::comm_wait ? comm_key
                       : s.what == trace_slice::kind::sync_wait ? sync_key
                                                                : lock_key;
    idle_seen[k] = true;
    g.add(s.lane, labels + k, s.begin_ns, s.end_ns, false);
  }

  std::string out;
  const std::uint32_t none = labels + idle_keys;
  for (std::uint32_t l = 0; l < t.lanes.size(); ++l) {
    std::string line = fit(titles[l], name_width, true) + " │";
    std::size_t current_color = SIZE_MAX;  // emit a colour only where it changes
    for (std::size_t c = 0; c < columns; ++c) {
      const std::uint32_t k = g.winner(l, c, none);
      if (k < labels) {
        if (options.color) {
          const std::size_t color = rank[k] % color_count;
          if (color != current_color) line += colors[color];
          current_color = color;
          line += label_glyphs[(rank[k] / color_count) % 4];
        } else {
          line += glyph(rank[k]);
        }
        continue;
      }
      if (current_color != SIZE_MAX) line += reset;
      current_color = SIZE_MAX;
      line += k == none ? std::string_view(" ") : idle_glyphs[k - labels];
    }
    if (current_color != SIZE_MAX) line += reset;
    out += line + "│\n";
  }

  // The time axis: 0 under the plot's start, the middle and the end at their places.
  out += std::string(name_width + 1, ' ') + "└" + repeat("─", columns) + "┘\n";
  const std::size_t plot = name_width + 2;
  const std::string end_text = format_duration(duration);
  const std::string mid_text = format_duration(duration / 2);
  std::string axis = std::string(plot, ' ') + "0";
  std::size_t at = plot + 1;  // columns written so far
  const std::size_t end_at = width - std::min(width - at, display_width(end_text));
  const std::size_t mid_at = plot + columns / 2 - display_width(mid_text) / 2;
  if (mid_at > at + 1 && mid_at + display_width(mid_text) + 1 < end_at) {
    axis += std::string(mid_at - at, ' ') + mid_text;
    at = mid_at + display_width(mid_text);
  }
  if (end_at > at) axis += std::string(end_at - at, ' ') + end_text;
  add_line(out, axis, width);

  if (options.legend) {
    for (std::size_t r = 0; r < order.size(); ++r) {
      const std::uint32_t k = order[r];
      if (!options.color && r >= glyph_count) {
        std::int64_t rest = 0;
        std::size_t tasks = 0;
        for (std::size_t q = r; q < order.size(); ++q) {
          rest = add(rest, total[order[q]]);
          tasks += count[order[q]];
        }
        add_line(out,
                 "  " + std::string(other_glyph) + " " + std::to_string(order.size() - r) +
                     " other labels: " + format_duration(rest) + " in " + std::to_string(tasks) +
                     " segments",
                 width);
        break;
      }
      std::string line = "  " + glyph(r) + (options.color ? std::string(reset) : "") + " ";
      const std::string facts = ": " + format_duration(total[k]) + " in " +
                                std::to_string(count[k]) +
                                (count[k] == 1 ? " segment" : " segments");
      const std::size_t room =
          width > 4 + display_width(facts) ? width - 4 - display_width(facts) : 8;
      line += fit(t.labels[k], std::max<std::size_t>(room, 8), false) + facts;
      add_line(out, line, width);
    }
    std::string idle = "  ";
    for (std::uint32_t k = 0; k < idle_keys; ++k)
      if (idle_seen[k])
        idle += std::string(idle_glyphs[k]) + " " + std::string(idle_names[k]) + "   ";
    idle += "(blank: nothing recorded)";
    add_line(out, idle, width);
  }
  return out;
}

unsigned terminal_width(int fd) noexcept {
  winsize ws{};
  if (::isatty(fd) != 0 && ::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return std::max<unsigned>(ws.ws_col, 20);
  if (const char* columns = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long n = std::strtol(columns, &end, 10);
    if (end != columns && *end == '\0' && n > 0 && n < 100000)
      return std::max<unsigned>(static_cast<unsigned>(n), 20);
  }
  return 100;
}

}  // namespace brigade::trace
