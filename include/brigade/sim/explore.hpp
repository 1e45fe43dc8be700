// brigade::sim::explore — the test helper: run a body under many seeds, report the first seed
// that fails so that it can be replayed with brigade::sim::run(seed, body).
#pragma once

#include <brigade/core/task.hpp>
#include <brigade/sim/sim.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace brigade::sim {

struct explore_options {
  std::uint64_t first_seed = 1;  ///< seeds first_seed, first_seed + 1, ...
  std::size_t seeds = 100;       ///< how many to try (BRIGADE_SEED=n runs only seed n)
  bool print = true;             ///< print the failing seed and how to replay it (stdout)
};

/// The first failing seed, its error message and schedule.
struct failure {
  std::uint64_t seed;
  std::string message;
  std::uint64_t schedule_hash;  ///< of the failing run: a replay reproduces it
};

/// Runs `body` under each seed (a fresh call of body() per run); stops at the first run that
/// throws (an assertion of the body, an exception of a task, a deadlock) and returns it, or
/// nothing when all pass. Thread safety: runs on the calling thread.
/// Errors: std::invalid_argument naming the value when BRIGADE_SEED is set to anything but a
/// whole number.
std::optional<failure> explore(const explore_options& options, std::function<task<>()> body);

}  // namespace brigade::sim
