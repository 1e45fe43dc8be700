// The subcommands of the brigade command line, each registered on the app by its own file.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

namespace CLI {
class App;
}

namespace brigade::cli {

/// What main runs once the command line has parsed: the chosen subcommand. Returns the exit
/// status; throws std::exception with a one-line message on failure (main prints it and exits
/// with 1, or with exit_error::status()).
using action = std::function<int()>;

/// A failure that ends brigade with a chosen exit status: 128 + N when signal N stopped the
/// work, as a shell reports a command killed by N.
class exit_error : public std::runtime_error {
 public:
  exit_error(const std::string& what, int status) : std::runtime_error(what), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

void add_kitchen_command(CLI::App& app, action& chosen);
void add_trace_command(CLI::App& app, action& chosen);
void add_scale_command(CLI::App& app, action& chosen);
void add_bench_command(CLI::App& app, action& chosen);

}  // namespace brigade::cli
