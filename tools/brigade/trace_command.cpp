// `brigade trace FILE`: draws a recorded trace and prints what it says about speed.
#include "commands.hpp"

#include <brigade/trace_tools/analysis.hpp>
#include <brigade/trace_tools/html_page.hpp>
#include <brigade/trace_tools/predict.hpp>
#include <brigade/trace_tools/timeline.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace brigade::cli {
namespace {

struct trace_settings {
  std::string file;
  std::string html;    // empty: no page
  unsigned width = 0;  // 0: the terminal's
  std::uint64_t max_bytes = trace::default_max_trace_bytes;
  bool json = false;
  bool color = false;
  std::vector<unsigned> predict;           // worker counts to predict the wall time at
  std::vector<std::string> what_if_texts;  // LABEL=FACTOR
};

// "decode=0.5" -> {"decode", 0.5}; the label may itself contain '=' (the last one splits).
trace::what_if parse_what_if(const std::string& text) {
  const std::size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0)
    throw std::runtime_error("--what-if " + text + ": expected LABEL=FACTOR, e.g. decode=0.5");
  const std::string number = text.substr(eq + 1);
  char* end = nullptr;
  const double f = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(f) || f < 0)
    throw std::runtime_error("--what-if " + text + ": the factor " + number +
                             " is not a finite number >= 0");
  return {text.substr(0, eq), f};
}

std::string predictions_table(const trace::predictions& p, const trace::analysis& a, bool what_if) {
  std::string out = what_if ? "predicted with the what-ifs (greedy replay, burden "
                            : "predicted (greedy replay of the DAG, burden ";
  out += trace::format_duration(p.burden_ns) + " per move):\n";
  out += what_if ? "  workers  predicted    speedup (over the recorded work)\n"
                 : "  workers  predicted    speedup   Brent bounds\n";
  const double t1 = static_cast<double>(a.work_ns);
  const double t_inf = static_cast<double>(a.span_ns);
  for (const trace::prediction& q : p.at) {
    char line[160];
    const double speedup = q.predicted_ns > 0 ? t1 / static_cast<double>(q.predicted_ns) : 0.0;
    std::snprintf(line, sizeof line, "  %7u  %-11s  %7.2fx", q.workers,
                  trace::format_duration(q.predicted_ns).c_str(), speedup);
    out += line;
    if (!what_if) {  // max(T1/P, T∞) <= T_P <= T1/P + T∞
      const double share = t1 / q.workers;
      out += "   " + trace::format_duration(static_cast<std::int64_t>(std::max(share, t_inf))) +
             " .. " + trace::format_duration(static_cast<std::int64_t>(share + t_inf));
    }
    out += '\n';
  }
  return out;
}

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
  trace::prediction_options what_ifs;
  for (const std::string& w : s.what_if_texts) what_ifs.what_ifs.push_back(parse_what_if(w));
  std::vector<unsigned> counts = s.predict;
  if (counts.empty() && !what_ifs.what_ifs.empty()) counts = {1, 2, 4, 8, 16};
  const auto plain = [&](const trace::prediction_options& o) {
    try {
      return trace::predict(t, counts, o);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(e.what());
    }
  };
  std::optional<trace::predictions> predicted, changed;
  if (!counts.empty()) predicted = plain({});
  if (!what_ifs.what_ifs.empty()) changed = plain(what_ifs);
  if (!s.html.empty()) write_file(s.html, trace::html_page(t, a, {.title = s.file}));
  if (s.json) {
    nlohmann::json j = to_json(t, a);
    auto keyed = [](const trace::predictions& p) {
      nlohmann::json by = nlohmann::json::object();
      for (const trace::prediction& q : p.at) by[std::to_string(q.workers)] = q.seconds();
      return by;
    };
    if (predicted) {
      j["predicted_seconds"] = keyed(*predicted);
      j["burden_seconds"] = static_cast<double>(predicted->burden_ns) * 1e-9;
    }
    if (changed) {
      nlohmann::json w = nlohmann::json::object();
      for (const trace::what_if& x : what_ifs.what_ifs) w[x.label] = x.factor;
      j["what_if"] = {{"factors", w}, {"predicted_seconds", keyed(*changed)}};
    }
    // Names in a trace are not checked to be UTF-8; JSON must be (U+FFFD replaces bad bytes).
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return 0;
  }
  const unsigned width = s.width != 0 ? s.width : trace::terminal_width(1);
  std::cout << trace::draw_timeline(t, {.width = width, .color = s.color}) << '\n'
            << trace::describe(a, t);
  if (predicted) std::cout << predictions_table(*predicted, a, false);
  if (changed) std::cout << predictions_table(*changed, a, true);
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
  sub->add_option("--predict", s->predict,
                  "Predict the wall time at these worker counts (e.g. 1,2,4,8,16) by replaying "
                  "the recorded DAG with a greedy scheduler")
      ->delimiter(',')
      ->check(CLI::Range(1U, 65536U));
  sub->add_option("--what-if", s->what_if_texts,
                  "LABEL=FACTOR: predict again with every segment labelled LABEL taking FACTOR "
                  "times its time (0.5: twice as fast); repeatable")
      ->type_name("LABEL=FACTOR");
  sub->callback([s, &chosen] { chosen = [s] { return run_trace(*s); }; });
}

}  // namespace brigade::cli
