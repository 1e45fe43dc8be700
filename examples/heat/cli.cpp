// The command line of heat and heat_mpi (see cli.hpp).
#include "cli.hpp"

#include "heat.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <stdexcept>

namespace heat {
namespace {

constexpr int max_n = 32768;  // two grids of 8 GiB each

std::string shortest(double v) {  // 0.3, not std::to_string's 0.300000
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

}  // namespace

std::optional<int> parse(int argc, char** argv, settings& s, const char* program,
                         const char* description, bool speak) {
  CLI::App app{description, program};
  app.add_option("--n", s.n, "grid points per side, boundary included (3 .. 32768)")->required();
  app.add_option("--steps", s.steps, "time steps (0 or more)")->required();
  app.add_option("--alpha", s.alpha, "dt / h^2; the scheme is stable for 0 < alpha <= 0.25")
      ->capture_default_str();
  app.add_flag("--check", s.check, "compare with the analytic solution and print the max error");
  app.add_flag("--json", s.json, "print one JSON object on stdout instead of the summary");
  app.add_option("--trace", s.trace,
                 "record a trace into FILE (read it with `brigade trace FILE`)");
  app.footer(std::string("BRIGADE_THREADS=N sets the number of workers. Example: ") + program +
             " --n 1024 --steps 500 --check");
  try {
    app.parse(argc, argv);
    if (s.n < 3 || s.n > max_n)
      throw std::invalid_argument("--n " + std::to_string(s.n) + " is out of range: 3 .. " +
                                  std::to_string(max_n) + " points per side");
    if (s.steps < 0)
      throw std::invalid_argument("--steps " + std::to_string(s.steps) + " is negative");
    if (!(s.alpha > 0 && s.alpha <= max_stable_alpha))
      throw std::invalid_argument("--alpha " + shortest(s.alpha) +
                                  " is outside the stable range of the explicit scheme, "
                                  "0 < alpha <= 0.25");
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return speak ? app.exit(e) : 0;  // --help: usage on stdout
    if (speak) std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    if (speak) std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 2;
  }
  return std::nullopt;
}

}  // namespace heat
