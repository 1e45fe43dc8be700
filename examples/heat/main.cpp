// heat: the 2-D heat equation on the unit square by an explicit 5-point stencil on brigade.
//
//   heat --n N --steps S [--alpha A] [--check] [--json] [--trace FILE]
//
// Starts from sin(pi x) sin(pi y), steps it S times (each step a parallel_for over rows),
// prints the time, the bandwidth the stencil reached and a checksum that is bit-identical at
// every BRIGADE_THREADS; --check compares with the analytic solution.
#include "heat.hpp"

#include <brigade/par/parallel_for.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/trace/trace.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>

namespace {

struct settings {
  int n = 0;
  int steps = -1;
  double alpha = 0.2;
  bool check = false;
  bool json = false;
  std::string trace;
};

constexpr int max_n = 32768;  // two grids of 8 GiB each

std::string shortest(double v) {  // 0.3, not std::to_string's 0.300000
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

// Reads the flags into s. An exit code means: stop now (--help, a bad value).
std::optional<int> parse(int argc, char** argv, settings& s) {
  CLI::App app{
      "The 2-D heat equation u_t = u_xx + u_yy on the unit square, zero on the boundary, "
      "by an explicit 5-point stencil; each step is a brigade::parallel_for over rows.",
      "heat"};
  app.add_option("--n", s.n, "grid points per side, boundary included (3 .. 32768)")->required();
  app.add_option("--steps", s.steps, "time steps (0 or more)")->required();
  app.add_option("--alpha", s.alpha, "dt / h^2; the scheme is stable for 0 < alpha <= 0.25")
      ->capture_default_str();
  app.add_flag("--check", s.check, "compare with the analytic solution and print the max error");
  app.add_flag("--json", s.json, "print one JSON object on stdout instead of the summary");
  app.add_option("--trace", s.trace,
                 "record a trace into FILE (read it with `brigade trace FILE`)");
  app.footer(
      "BRIGADE_THREADS=N sets the number of workers. Example: heat --n 1024 --steps 500 --check");
  try {
    app.parse(argc, argv);
    if (s.n < 3 || s.n > max_n)
      throw std::invalid_argument("--n " + std::to_string(s.n) + " is out of range: 3 .. " +
                                  std::to_string(max_n) + " points per side");
    if (s.steps < 0)
      throw std::invalid_argument("--steps " + std::to_string(s.steps) + " is negative");
    if (!(s.alpha > 0 && s.alpha <= heat::max_stable_alpha))
      throw std::invalid_argument("--alpha " + shortest(s.alpha) +
                                  " is outside the stable range of the explicit scheme, "
                                  "0 < alpha <= 0.25");
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help: the usage, on stdout
    std::fprintf(stderr, "heat: %s\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "heat: %s\n", e.what());
    return 2;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) try {
  settings s;
  if (const std::optional<int> stop = parse(argc, argv, s)) return *stop;
  const auto n = static_cast<std::size_t>(s.n);
  const std::size_t threads = brigade::pool::global().size();  // start the pool before timing

  if (!s.trace.empty()) brigade::trace::start();
  heat::grid g(n);
  // Each worker touches the rows it is likely to step first.
  brigade::parallel_for_range(std::size_t{0}, n,
                              [&g](std::size_t b, std::size_t e) { heat::fill_rows(g, b, e); });
  g.current = g.a.get();
  const auto t0 = std::chrono::steady_clock::now();
  heat::run_brigade(g, s.steps, s.alpha);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double sum = heat::checksum(g.current, n);
  if (!s.trace.empty()) brigade::trace::stop(s.trace);

  const double gb_per_s =
      s.steps > 0 && seconds > 0 ? heat::bytes_per_step(n) * s.steps / seconds / 1e9 : 0.0;
  const double error = s.check ? heat::max_error(g.current, n, s.steps, s.alpha) : 0.0;
  const double predicted = heat::predicted_error(n, s.alpha);
  if (s.json) {
    nlohmann::json j = {
        {"n", s.n},           {"steps", s.steps},     {"alpha", s.alpha},     {"threads", threads},
        {"seconds", seconds}, {"gb_per_s", gb_per_s}, {"max_error", nullptr}, {"checksum", sum}};
    if (s.check) {
      j["max_error"] = error;
      j["predicted_error"] = predicted;
    }
    std::cout << j.dump() << '\n';
    return 0;
  }
  const double h = 1.0 / static_cast<double>(n - 1);
  std::printf("heat: %d x %d grid (h = 1/%d), %d steps of dt = %g h^2 to t = %.4g, %zu threads\n",
              s.n, s.n, s.n - 1, s.steps, s.alpha, s.steps * s.alpha * h * h, threads);
  std::printf("  time       %.4f s   %.2f GB/s (16 bytes per point and step)\n", seconds, gb_per_s);
  std::printf("  checksum   %.17g\n", sum);
  if (s.check)
    std::printf(
        "  max error  %.3e against the analytic solution (the scheme's leading-order error, at "
        "most %.3e)\n",
        error, predicted);
  if (!s.trace.empty())
    std::printf("  trace      %s (brigade trace %s)\n", s.trace.c_str(), s.trace.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "heat: %s\n", e.what());
  return 1;
}
