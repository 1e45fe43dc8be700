// The subcommands of the brigade command line, each registered on the app by its own file.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace brigade::cli {

/// What main runs once the command line has parsed: the chosen subcommand. Returns the exit
/// status; throws std::exception with a one-line message on failure (main prints it).
using action = std::function<int()>;

void add_kitchen_command(CLI::App& app, action& chosen);
void add_trace_command(CLI::App& app, action& chosen);
void add_scale_command(CLI::App& app, action& chosen);
void add_bench_command(CLI::App& app, action& chosen);

}  // namespace brigade::cli
