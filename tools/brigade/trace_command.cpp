// `brigade trace FILE...`: draws a recorded trace and prints what it says about speed; several
// files (the ranks of an MPI run) are merged into one timeline and analysed rank by rank.
#include "commands.hpp"
#include "trace_what_if.hpp"
#include "whole_number.hpp"

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
  std::vector<std::string> files;
  std::string html;    // empty: no page
  unsigned width = 0;  // 0: the terminal's
  std::uint64_t max_bytes = trace::default_max_trace_bytes;
  bool json = false;
  bool color = false;
  std::vector<unsigned> predict;           // worker counts to predict the wall time at
  std::vector<std::string> what_if_texts;  // LABEL=FACTOR
};

// `one_worker`: the plain replay on one worker, which the speedups are over (the recorded work
// when nothing waits).
std::string predictions_table(const trace::predictions& p, const trace::analysis& a, bool what_if,
                              std::int64_t one_worker) {
  std::string out = what_if ? "predicted with the what-ifs (greedy replay, burden "
                            : "predicted (greedy replay of the DAG, burden ";
  out += trace::format_duration(p.burden_ns) + " per move):\n";
  if (p.waits_ns > 0 && !what_if)
    out += "  keeps " + trace::format_duration(p.waits_ns) +
           " of recorded waits for I/O, communication and signals, as latency that no\n"
           "  worker shortens; the Brent bounds count the computation only\n";
  out += what_if ? "  workers  predicted    speedup (over 1 worker without the what-ifs)\n"
                 : "  workers  predicted    speedup   Brent bounds\n";
  const double t1 = static_cast<double>(a.work_ns);
  const double base = static_cast<double>(one_worker);
  const double t_inf = static_cast<double>(a.span_ns);
  for (const trace::prediction& q : p.at) {
    char line[160];
    const double speedup = q.predicted_ns > 0 ? base / static_cast<double>(q.predicted_ns) : 0.0;
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
                     {"sync_wait_seconds", static_cast<double>(u.sync_wait_ns) * 1e-9},
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

// The communication waits of a (only written when there are some, so that a trace without
// them reads as before).
void add_comm_waits(nlohmann::json& j, const trace::analysis& a) {
  j["comm_waits"] = a.comm_waits;
  j["comm_wait_seconds"] = static_cast<double>(a.comm_wait_ns) * 1e-9;
  j["comm_wait_fraction"] =
      a.wall_ns > 0 ? static_cast<double>(a.comm_wait_ns) / static_cast<double>(a.wall_ns) : 0.0;
}

// The waits for signals of a, in all and by what was awaited (written when there are some).
void add_sync_waits(nlohmann::json& j, const trace::trace_file& t, const trace::analysis& a) {
  j["sync_waits"] = a.sync_waits;
  j["sync_wait_seconds"] = static_cast<double>(a.sync_wait_ns) * 1e-9;
  nlohmann::json by = nlohmann::json::array();
  for (const trace::wait_usage& w : a.syncs)
    by.push_back({{"what", w.label < t.labels.size() ? t.labels[w.label] : "?"},
                  {"waits", w.waits},
                  {"seconds", static_cast<double>(w.wait_ns) * 1e-9},
                  {"longest_seconds", static_cast<double>(w.max_wait_ns) * 1e-9}});
  j["sync_waited_for"] = std::move(by);
}

// One file of several: its rank, its trace and that trace's analysis.
struct rank_part {
  std::string file;
  trace::trace_file t;
  trace::analysis a;
  int rank() const { return t.process_info.size() == 1 ? t.process_info.front().rank : -1; }
  std::string name() const {
    return rank() >= 0
               ? "rank " + std::to_string(rank())
               : "pid " + std::to_string(t.process_info.empty() ? 0 : t.process_info.front().pid);
  }
};

const char* describe_alignment(trace::clock_alignment a) {
  switch (a) {
    case trace::clock_alignment::steady:
      return "steady_clock (one host: exact)";
    case trace::clock_alignment::system:
      return "system_clock (several hosts: approximate, as well as their clocks agree)";
    case trace::clock_alignment::starts:
      return "none recorded: each file starts at 0";
    case trace::clock_alignment::none:
      break;
  }
  return "one recording";
}

const char* alignment_name(trace::clock_alignment a) {
  switch (a) {
    case trace::clock_alignment::steady:
      return "steady";
    case trace::clock_alignment::system:
      return "system";
    case trace::clock_alignment::starts:
      return "starts";
    case trace::clock_alignment::none:
      break;
  }
  return "none";
}

std::string percent_text(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", fraction * 100);
  return buf;
}

double fraction(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

// text padded with spaces to `columns` code points ("µs" is two bytes, one column).
std::string pad(std::string text, std::size_t columns) {
  std::size_t n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  if (n < columns) text.append(columns - n, ' ');
  return text;
}

// The per-rank summary table of several files.
std::string ranks_table(const std::vector<rank_part>& parts) {
  std::string out = "ranks:\n  " + pad("rank", 10) + pad("wall", 11) + pad("work", 11) +
                    pad("span", 11) + pad("parallelism", 13) + "waiting for communication\n";
  for (const rank_part& p : parts) {
    char parallelism[32];
    std::snprintf(parallelism, sizeof parallelism, "%.2f", p.a.parallelism);
    out += "  " + pad(p.name(), 10) + pad(trace::format_duration(p.a.wall_ns), 11) +
           pad(trace::format_duration(p.a.work_ns), 11) +
           pad(trace::format_duration(p.a.span_ns), 11) + pad(parallelism, 13) +
           trace::format_duration(p.a.comm_wait_ns) + " (" +
           percent_text(fraction(p.a.comm_wait_ns, p.a.wall_ns)) + ")\n";
  }
  return out;
}

trace::trace_file read_one(const std::string& file, std::uint64_t max_bytes) {
  try {
    return trace::read_trace_file(file, max_bytes);
  } catch (const std::length_error& e) {
    throw std::runtime_error(std::string(e.what()) + " (raise it with --max-bytes)");
  }
}

// Several files: one merged timeline (a process per file), and the analysis of each rank.
int run_ranks(const trace_settings& s) {
  if (!s.predict.empty() || !s.what_if_texts.empty())
    throw std::runtime_error(
        "--predict and --what-if replay one recording: give one trace file, "
        "not " +
        std::to_string(s.files.size()) + " (run them on each rank's file)");
  std::vector<rank_part> parts;
  for (const std::string& f : s.files) {
    rank_part p{f, read_one(f, s.max_bytes), {}};
    try {
      p.a = trace::analyse(p.t);
    } catch (const trace::trace_error& e) {
      throw std::runtime_error(f + ": " + e.what());
    }
    parts.push_back(std::move(p));
  }
  // By rank (a shell's glob puts rank10 before rank2), files without one after, as given.
  std::stable_sort(parts.begin(), parts.end(), [](const rank_part& x, const rank_part& y) {
    const unsigned rx = static_cast<unsigned>(x.rank()), ry = static_cast<unsigned>(y.rank());
    return rx < ry;  // -1 becomes the largest
  });
  std::vector<trace::trace_file> copies;
  for (const rank_part& p : parts) copies.push_back(p.t);
  const trace::trace_file t = trace::merge_trace_files(std::move(copies));
  const trace::analysis a = trace::analyse(t);
  std::string title;
  for (const rank_part& p : parts) title += (title.empty() ? "" : " ") + p.file;
  if (!s.html.empty()) write_file(s.html, trace::html_page(t, a, {.title = title}));
  if (s.json) {
    nlohmann::json j = to_json(t, a);
    j["files"] = s.files.size();
    j["clock_alignment"] = alignment_name(t.alignment);
    nlohmann::json ranks = nlohmann::json::array();
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const rank_part& p = parts[i];
      nlohmann::json r = to_json(p.t, p.a);
      r["rank"] = p.rank() >= 0 ? nlohmann::json(p.rank()) : nlohmann::json(nullptr);
      r["file"] = p.file;
      r["process"] = i;
      r["offset_seconds"] = static_cast<double>(t.process_info.at(i).offset_ns) * 1e-9;
      add_comm_waits(r, p.a);
      ranks.push_back(std::move(r));
    }
    add_comm_waits(j, a);
    j["ranks"] = std::move(ranks);
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return 0;
  }
  const unsigned width = s.width != 0 ? s.width : trace::terminal_width(1);
  std::cout << trace::draw_timeline(t, {.width = width, .color = s.color}) << '\n'
            << "clocks aligned by " << describe_alignment(t.alignment) << '\n';
  for (const rank_part& p : parts)
    std::cout << '\n' << p.name() << " (" << p.file << "):\n" << trace::describe(p.a, p.t);
  std::cout << '\n' << ranks_table(parts);
  if (!s.html.empty()) std::cout << "wrote " << s.html << '\n';
  return 0;
}

int run_trace(const trace_settings& s) {
  if (s.files.size() > 1) return run_ranks(s);
  const std::string& file = s.files.front();
  const trace::trace_file t = read_one(file, s.max_bytes);
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
  if (!s.html.empty()) write_file(s.html, trace::html_page(t, a, {.title = file}));
  if (s.json) {
    nlohmann::json j = to_json(t, a);
    if (a.comm_waits > 0) add_comm_waits(j, a);
    if (a.sync_waits > 0) add_sync_waits(j, t, a);
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
  if (predicted) {  // a what-if comes with the plain prediction
    // The plain replay on one worker, the speedups' base: replayed again only when not asked.
    std::int64_t one = -1;
    for (const trace::prediction& q : predicted->at)
      if (q.workers == 1) one = q.predicted_ns;
    if (one < 0) one = trace::predict(t, {1}).at.front().predicted_ns;
    std::cout << predictions_table(*predicted, a, false, one);
    if (changed) std::cout << predictions_table(*changed, a, true, one);
  }
  if (!s.html.empty()) std::cout << "wrote " << s.html << '\n';
  return 0;
}

}  // namespace

void add_trace_command(CLI::App& app, action& chosen) {
  auto s = std::make_shared<trace_settings>();
  CLI::App* sub = app.add_subcommand(
      "trace",
      "Draw a recorded trace (brigade::trace::stop or BRIGADE_TRACE=FILE) and print its "
      "work, span, parallelism and per-thread utilization; several files (the ranks of an MPI "
      "run: run.rank*.json) are merged into one timeline and analysed per rank, with the time "
      "each rank waited for communication");
  sub->add_option("file", s->files,
                  "The trace file(s) (Chrome Trace Event JSON written by brigade)")
      ->required();
  sub->add_option("--html", s->html, "Also write a self-contained HTML page of the trace here");
  sub->add_option("--width", s->width, "Columns of the timeline (default: the terminal's)")
      ->transform(whole_number())
      ->check(CLI::Range(20U, 1000U));
  sub->add_option("--max-bytes", s->max_bytes,
                  "Refuse a trace file larger than this (bytes, or with a unit: 512MiB, 4GiB)")
      ->type_name("BYTES")
      ->transform(CLI::AsSizeValue(true).description(""))
      ->transform(whole_number(true))  // before AsSizeValue, which reads base 0 too
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 50))
      ->default_str("1GiB");
  sub->add_flag("--color", s->color, "Colour the timeline with ANSI escapes");
  sub->add_flag("--json", s->json, "Print the analysis as JSON instead of the timeline");
  sub->add_option("--predict", s->predict,
                  "Predict the wall time at these worker counts (e.g. 1,2,4,8,16) by replaying "
                  "the recorded DAG with a greedy scheduler (one file only)")
      ->delimiter(',')
      ->transform(whole_number())
      ->check(CLI::Range(1U, 65536U));
  sub->add_option("--what-if", s->what_if_texts,
                  "LABEL=FACTOR: predict again with every segment labelled LABEL taking FACTOR "
                  "times its time (0.5: twice as fast); repeatable (one file only)")
      ->type_name("LABEL=FACTOR");
  sub->callback([s, &chosen] { chosen = [s] { return run_trace(*s); }; });
}

}  // namespace brigade::cli
