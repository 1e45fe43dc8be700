// The brigade command line's app: the subcommands, each added by its own file.
#include "app.hpp"

#include <CLI/CLI.hpp>

namespace brigade::cli {

std::unique_ptr<CLI::App> make_app(action& chosen) {
  auto app = std::make_unique<CLI::App>(
      "brigade: see how a program does many things at once, and how fast", "brigade");
  app->require_subcommand(0, 1);
  add_kitchen_command(*app, chosen);
  add_trace_command(*app, chosen);
  add_scale_command(*app, chosen);
  add_bench_command(*app, chosen);
  return app;
}

}  // namespace brigade::cli
