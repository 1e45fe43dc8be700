// The brigade command line's CLI11 app with every subcommand on it, built in one place for main
// and for the fuzz target of its arguments (fuzz/fuzz_cli_args.cpp).
#pragma once

#include "commands.hpp"

#include <memory>

namespace CLI {
class App;
}

namespace brigade::cli {

/// The `brigade` app: kitchen, trace, scale and bench, at most one of them. Parsing it runs
/// nothing: the chosen subcommand's callback only stores its work in `chosen` (which must
/// outlive the app), and main runs that after a successful parse. Errors: CLI::ParseError from
/// parse() for a bad command line.
std::unique_ptr<CLI::App> make_app(action& chosen);

}  // namespace brigade::cli
