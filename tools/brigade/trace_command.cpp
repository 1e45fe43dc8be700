// `brigade trace FILE`: draws a recorded trace and prints what it says about speed.
#include "commands.hpp"

#include <brigade/trace_tools/analysis.hpp>
#include <brigade/trace_tools/html_page.hpp>
#include <brigade/trace_tools/timeline.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

namespace brigade::cli {
namespace {

struct trace_settings {
  std::string file;
  std::string html;    // empty: no page
  unsigned width = 0;  // 0: the terminal's
  std::uint64_t max_bytes = trace::default_max_trace_bytes;
  bool json = false;
  bool color = false;
};

nlohmann::json to_json(const trace::trace_file& t, const trace::analysis& a) {
  nlohmann::json utilization = nlohmann::json::array();
  nlohmann::json lanes = nlohmann::json::array();
  for (const trace::thread_usage& u : a.threads) {
    utilization.push_back(u.utilization);
    lanes.push_back({{"name", trace::lane_title(t, u.lane)},
                     {"segments", u.segments},
                     {"busy_seconds", static_cast<double>(u.busy_ns) * 1e-9},
                     {"parked_seconds", static_cast<double>(u.parked_ns) * 1e-9},
                     {"io_wait_seconds", static_cast<double>(u.io_wait_ns) * 1e-9},
                     {"lock_wait_seconds", static_cast<double>(u.lock_wait_ns) * 1e-9},
                     {"utilization", u.utilization}});
  }
  return {{"wall_seconds", static_cast<double>(a.wall_ns) * 1e-9},
          {"work_seconds", static_cast<double>(a.work_ns) * 1e-9},
          {"span_seconds", static_cast<double>(a.span_ns) * 1e-9},
          {"parallelism", a.parallelism},
          {"threads", a.threads.size()},
          {"utilization", utilization},
          {"lanes", lanes},
          {"segments", a.segments},
          {"edges", a.edges},
          {"processes", a.processes},
          {"steals", a.steals},
          {"parks", a.parks},
          {"dropped_events", a.dropped_events},
          {"lower_bounds", a.lower_bounds()}};
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write \"" + path + "\"");
}

int run_trace(const trace_settings& s) {
  const trace::trace_file t = [&] {
    try {
      return trace::read_trace_file(s.file, s.max_bytes);
    } catch (const std::length_error& e) {
      throw std::runtime_error(std::string(e.what()) + " (raise it with --max-bytes)");
    }
  }();
  const trace::analysis a = trace::analyse(t);
  if (!s.html.empty()) write_file(s.html, trace::html_page(t, a, {.title = s.file}));
  if (s.json) {
    // Names in a trace are not checked to be UTF-8; JSON must be (U+FFFD replaces bad bytes).
    std::cout << to_json(t, a).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << '\n';
    return 0;
  }
  const unsigned width = s.width != 0 ? s.width : trace::terminal_width(1);
  std::cout << trace::draw_timeline(t, {.width = width, .color = s.color}) << '\n'
            << trace::describe(a, t);
  if (!s.html.empty()) std::cout << "wrote " << s.html << '\n';
  return 0;
}

}  // namespace

void add_trace_command(CLI::App& app, action& chosen) {
  auto s = std::make_shared<trace_settings>();
  CLI::App* sub = app.add_subcommand(
      "trace",
      "Draw a recorded trace (brigade::trace::stop or BRIGADE_TRACE=FILE) and print its "
      "work, span, parallelism and per-thread utilization");
  sub->add_option("file", s->file, "The trace file (Chrome Trace Event JSON written by brigade)")
      ->required();
  sub->add_option("--html", s->html, "Also write a self-contained HTML page of the trace here");
  sub->add_option("--width", s->width, "Columns of the timeline (default: the terminal's)")
      ->check(CLI::Range(20U, 1000U));
  sub->add_option("--max-bytes", s->max_bytes,
                  "Refuse a trace file larger than this (bytes, or with a unit: 512MiB, 4GiB)")
      ->type_name("BYTES")
      ->transform(CLI::AsSizeValue(true).description(""))
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 50))
      ->default_str("1GiB");
  sub->add_flag("--color", s->color, "Colour the timeline with ANSI escapes");
  sub->add_flag("--json", s->json, "Print the analysis as JSON instead of the timeline");
  sub->callback([s, &chosen] { chosen = [s] { return run_trace(*s); }; });
}

}  // namespace brigade::cli
