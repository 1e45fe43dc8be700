// The brigade command line: parses the arguments with CLI11 and runs the chosen subcommand.
#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

namespace {

// Errors are one line on stderr, so scripts and people see the cause and nothing else.
void print_error(const std::string& what) {
  std::string line = what;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::fprintf(stderr, "brigade: error: %s\n", line.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"brigade: see how a program does many things at once, and how fast", "brigade"};
  app.require_subcommand(0, 1);
  brigade::cli::action chosen;
  brigade::cli::add_kitchen_command(app, chosen);
  brigade::cli::add_trace_command(app, chosen);
  brigade::cli::add_scale_command(app, chosen);
  brigade::cli::add_bench_command(app, chosen);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help: the usage on stdout
    print_error(e.what());
    return 2;
  }
  if (!chosen) {
    std::cout << app.help();
    return 0;
  }
  try {
    return chosen();
  } catch (const brigade::cli::exit_error& e) {
    print_error(e.what());
    return e.status();
  } catch (const std::exception& e) {
    print_error(e.what());
    return 1;
  }
}
