// JSON lines and the human-readable table; see report.hpp.
#include "harness/report.hpp"

#include <cmath>
#include <string>

namespace bench {
namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string number(double v, const char* format = "%.6g") {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace

void print_json(std::FILE* out, const result& r) {
  std::string line =
      "{\"workload\":" + json_string(r.workload) + ",\"impl\":" + json_string(r.impl) +
      ",\"threads\":" + std::to_string(r.threads) +
      ",\"reps\":" + std::to_string(r.seconds.size()) + ",\"median_seconds\":" + number(r.median) +
      ",\"min_seconds\":" + number(r.min);
  if (r.vs_brigade > 0) line += ",\"time_vs_brigade\":" + number(r.vs_brigade);
  if (r.vs_serial > 0) line += ",\"speedup_vs_serial\":" + number(r.vs_serial);
  for (const auto& [name, value] : r.extra) line += ",\"" + name + "\":" + number(value);
  line += ",\"input\":" + json_string(r.input) + "}";
  std::fprintf(out, "%s\n", line.c_str());
}

void print_table(std::FILE* out, const std::vector<result>& results) {
  std::string current;
  for (const result& r : results) {
    if (r.workload != current) {
      current = r.workload;
      std::fprintf(out, "\n%s — %s\n", r.workload.c_str(), r.input.c_str());
      std::fprintf(out, "  %-7s %-8s %12s %12s %10s %10s  %s\n", "threads", "impl", "median s",
                   "min s", "/brigade", "speedup", "other");
    }
    std::string other;
    for (const auto& [name, value] : r.extra) other += "  " + name + "=" + number(value, "%.4g");
    const std::string vs_b = r.vs_brigade > 0 ? number(r.vs_brigade, "%.3g") + "x" : "-";
    const std::string vs_s = r.vs_serial > 0 ? number(r.vs_serial, "%.3g") + "x" : "-";
    std::fprintf(out, "  %-7d %-8s %12.4g %12.4g %10s %10s %s\n", r.threads, r.impl.c_str(),
                 r.median, r.min, vs_b.c_str(), vs_s.c_str(), other.c_str());
  }
  std::fprintf(out,
               "\n/brigade: median time over brigade's at the same thread count (above 1: "
               "slower than brigade).\nspeedup: serial's median time over this median.\n");
}

}  // namespace bench
