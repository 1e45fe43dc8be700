// heat: the 2-D heat equation on the unit square by an explicit 5-point stencil on brigade.
//
//   heat --n N --steps S [--alpha A] [--check] [--json] [--trace FILE]
//
// Starts from sin(pi x) sin(pi y), steps it S times (each step a parallel_for over rows),
// prints the time, the bandwidth the stencil reached and a checksum that is bit-identical at
// every BRIGADE_THREADS; --check compares with the analytic solution.
#include "cli.hpp"
#include "heat.hpp"

#include <brigade/par/parallel_for.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/trace/trace.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <string>

int main(int argc, char** argv) try {
  heat::settings s;
  if (const std::optional<int> stop = heat::parse(
          argc, argv, s, "heat",
          "The 2-D heat equation u_t = u_xx + u_yy on the unit square, zero on the boundary, "
          "by an explicit 5-point stencil; each step is a brigade::parallel_for over rows."))
    return *stop;
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
