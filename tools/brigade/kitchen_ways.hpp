// The kitchen of `brigade kitchen`: the same dishes cooked four ways, each timed and traced.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace brigade::cli {

/// What to cook: every dish is chop (CPU), oven (wait), stir (CPU), simmer (wait).
struct kitchen_options {
  unsigned dishes = 8;
  unsigned chefs = 2;   // threads of the team and of the brigade
  double cpu_ms = 20;   // each CPU step: this much of its thread's CPU time
  double wait_ms = 60;  // each wait
};

/// The four ways, from no concurrency and no parallelism to both.
enum class way { sequential, one_chef, team, brigade };
inline constexpr std::array<way, 4> all_ways{way::sequential, way::one_chef, way::team,
                                             way::brigade};

/// "sequential", "one chef", "team", "brigade".
std::string_view way_name(way w) noexcept;
/// The file name stem of its trace: "sequential", "one_chef", "team", "brigade".
std::string_view way_key(way w) noexcept;
/// What its timeline shows, in one line.
std::string_view way_lesson(way w) noexcept;
/// The threads doing the cooking: 1 for sequential and one chef, else o.chefs.
unsigned way_chefs(way w, const kitchen_options& o) noexcept;

/// How one way went.
struct way_result {
  way what = way::sequential;
  unsigned chefs = 1;
  double wall_seconds = 0;
  double cpu_seconds = 0;  // the whole process's CPU time during the run
  std::string trace_path;
};

/// Cooks every dish the given way, recording a trace written to trace_path.
/// Errors: std::system_error when the trace cannot be written.
way_result cook(way w, const kitchen_options& o, const std::string& trace_path);

}  // namespace brigade::cli
