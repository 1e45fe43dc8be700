// `brigade kitchen`: cooks the same dishes four ways and shows why the brigade is fastest.
#include "commands.hpp"
#include "finite_number.hpp"
#include "kitchen_ways.hpp"
#include "whole_number.hpp"

#include <brigade/trace_tools/timeline.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace brigade::cli {
namespace {

struct kitchen_settings {
  kitchen_options kitchen;
  std::string out;     // empty: a fresh temporary directory
  unsigned width = 0;  // 0: the terminal's
  bool json = false;
};

// Two chefs at least, so the team and the brigade can show parallelism even on one core;
// no more than eight, so the default run stays short on big machines.
unsigned default_chefs() {
  return std::clamp(std::thread::hardware_concurrency(), 2U, 8U);
}

std::string make_out_dir(const std::string& requested) {
  namespace fs = std::filesystem;
  if (!requested.empty()) {
    std::error_code ec;
    fs::create_directories(requested, ec);
    if (ec || !fs::is_directory(requested))
      throw std::runtime_error("cannot create the output directory \"" + requested +
                               "\": " + (ec ? ec.message() : "not a directory"));
    return requested;
  }
  std::string pattern = (fs::temp_directory_path() / "brigade-kitchen-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  return pattern;
}

double utilization(const way_result& r) {
  return r.wall_seconds > 0 ? r.cpu_seconds / (r.wall_seconds * r.chefs) : 0;
}

void print_table(const kitchen_settings& s, const std::vector<way_result>& results) {
  const kitchen_options& k = s.kitchen;
  std::printf(
      "brigade kitchen: %u dishes, each chop %.0f ms, oven %.0f ms, stir %.0f ms, simmer %.0f "
      "ms; %u chefs\n\n",
      k.dishes, k.cpu_ms, k.wait_ms, k.cpu_ms, k.wait_ms, k.chefs);
  std::printf("%-12s %6s %10s %10s %12s %9s\n", "way", "chefs", "wall", "CPU", "utilization",
              "speedup");
  const double sequential = results.front().wall_seconds;
  for (const way_result& r : results) {
    std::printf("%-12s %6u %8.3f s %8.3f s %11.0f%% %8.2fx\n",
                std::string(way_name(r.what)).c_str(), r.chefs, r.wall_seconds, r.cpu_seconds,
                100 * utilization(r), r.wall_seconds > 0 ? sequential / r.wall_seconds : 0);
  }
  std::printf("\nutilization = CPU time / (wall time x chefs)\n");
}

void print_timelines(const kitchen_settings& s, const std::vector<way_result>& results) {
  const unsigned width = s.width != 0 ? s.width : brigade::trace::terminal_width(1);
  for (const way_result& r : results) {
    std::printf("\n== %s (%s)\n", std::string(way_name(r.what)).c_str(), r.trace_path.c_str());
    // Written by us, but into a directory the user named: read as any input, bounded.
    const brigade::trace::trace_file t = brigade::trace::read_trace_file(r.trace_path);
    std::fputs(brigade::trace::draw_timeline(t, {.width = width}).c_str(), stdout);
    std::printf("%s: %s\n", std::string(way_name(r.what)).c_str(),
                std::string(way_lesson(r.what)).c_str());
  }
  std::printf("\nDraw one again with: brigade trace %s\n", results.back().trace_path.c_str());
}

void print_json(const kitchen_settings& s, const std::string& out,
                const std::vector<way_result>& results) {
  const kitchen_options& k = s.kitchen;
  nlohmann::json ways = nlohmann::json::array();
  const double sequential = results.front().wall_seconds;
  for (const way_result& r : results) {
    ways.push_back({{"way", way_name(r.what)},
                    {"chefs", r.chefs},
                    {"wall_seconds", r.wall_seconds},
                    {"cpu_seconds", r.cpu_seconds},
                    {"utilization", utilization(r)},
                    {"speedup", r.wall_seconds > 0 ? sequential / r.wall_seconds : 0},
                    {"trace", r.trace_path},
                    {"lesson", way_lesson(r.what)}});
  }
  const nlohmann::json doc = {{"dishes", k.dishes},   {"chefs", k.chefs}, {"cpu_ms", k.cpu_ms},
                              {"wait_ms", k.wait_ms}, {"out", out},       {"ways", ways}};
  std::cout << doc.dump(2) << '\n';
}

int run_kitchen(const kitchen_settings& s) {
  // The one chef blocks his loop with CPU steps on purpose: that is the lesson, not a bug to
  // warn about. (Set before any thread exists; a user's own setting wins.)
  setenv("BRIGADE_WARN_BLOCKING_MS", "0", 0);
  const std::string out = make_out_dir(s.out);
  std::vector<way_result> results;
  for (way w : all_ways) {
    if (!s.json) std::fprintf(stderr, "cooking: %s...\n", std::string(way_name(w)).c_str());
    const auto path = std::filesystem::path(out) / (std::string(way_key(w)) + ".json");
    results.push_back(cook(w, s.kitchen, path.string()));
  }
  if (s.json) {
    print_json(s, out, results);
  } else {
    print_table(s, results);
    print_timelines(s, results);
  }
  return 0;
}

}  // namespace

void add_kitchen_command(CLI::App& app, action& chosen) {
  auto s = std::make_shared<kitchen_settings>();
  s->kitchen.chefs = default_chefs();
  CLI::App* sub = app.add_subcommand(
      "kitchen",
      "Cook dishes (CPU steps and waits) four ways: sequential, one chef (a loop), a team (a "
      "pool), the brigade (both); print their times, utilization and timelines");
  sub->add_option("--dishes", s->kitchen.dishes, "Dishes to cook")
      ->transform(whole_number())
      ->check(CLI::Range(1U, 1000U))
      ->capture_default_str();
  sub->add_option("--chefs", s->kitchen.chefs, "Threads of the team and of the brigade")
      ->transform(whole_number())
      ->check(CLI::Range(1U, 256U))
      ->capture_default_str();
  sub->add_option("--cpu-ms", s->kitchen.cpu_ms, "Milliseconds of CPU time per chop or stir")
      ->check(finite_number())
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  sub->add_option("--wait-ms", s->kitchen.wait_ms, "Milliseconds per oven or simmer wait")
      ->check(finite_number())
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  sub->add_option("--out", s->out,
                  "Directory for the four trace files (default: a new temporary directory)");
  sub->add_option("--width", s->width, "Columns of the timelines (default: the terminal's)")
      ->transform(whole_number())
      ->check(CLI::Range(20U, 1000U));
  sub->add_flag("--json", s->json, "Print the results as JSON instead of tables and timelines");
  sub->callback([s, &chosen] { chosen = [s] { return run_kitchen(*s); }; });
}

}  // namespace brigade::cli
