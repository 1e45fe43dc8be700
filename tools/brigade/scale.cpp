// `brigade scale -- CMD ARGS`: runs a program at 1..N threads and fits Amdahl's law.
#include "child_process.hpp"
#include "commands.hpp"
#include "finite_number.hpp"
#include "scale_math.hpp"
#include "scale_plot.hpp"

#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace brigade::cli {
namespace {

struct scale_settings {
  unsigned max_threads = 0;  // 0: the hardware's
  unsigned reps = 3;
  double timeout = 600;  // seconds per run
  bool json = false;
  std::string svg;  // empty: no plot
  std::vector<std::string> command;
};

// One run of the command with BRIGADE_THREADS=threads; its wall time in seconds.
double time_one_run(const scale_settings& s, unsigned threads, held_signals& signals) {
  const auto t0 = std::chrono::steady_clock::now();
  // stdout goes nowhere: the measured program's output would mix with ours (and our JSON).
  child_process child({.argv = s.command,
                       .env = {"BRIGADE_THREADS=" + std::to_string(threads)},
                       .out = child_process::output::discard,
                       .signals = &signals});
  const child_process::ending e =
      child.wait_for(std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(s.timeout)));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string run =
      "\"" + command_line(s.command) + "\" at BRIGADE_THREADS=" + std::to_string(threads);
  if (e.stop_signal != 0) {
    // As a shell reports a command killed by signal N: 128 + N.
    throw exit_error(std::string("stopped by ") + (e.stop_signal == SIGINT ? "SIGINT" : "SIGTERM") +
                         " while running " + run + " (passed on: it " + describe_status(e.status) +
                         ")",
                     128 + e.stop_signal);
  }
  if (e.timed_out) {
    char limit[32];
    std::snprintf(limit, sizeof limit, "%g", s.timeout);
    throw std::runtime_error(run + " timed out after " + limit + " s (--timeout) and was stopped");
  }
  if (!succeeded(e.status)) throw std::runtime_error(run + " " + describe_status(e.status));
  return seconds;
}

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json numbers(const std::vector<double>& vs) {
  nlohmann::json a = nlohmann::json::array();
  for (double v : vs) a.push_back(number_or_null(v));
  return a;
}

void print_text(const scaling& r, unsigned n) {
  std::printf("%7s %11s %8s %11s %12s\n", "threads", "median", "speedup", "efficiency",
              "Karp-Flatt");
  for (std::size_t i = 0; i < r.threads.size(); ++i) {
    std::printf("%7u %9.4f s %7.2fx %10.0f%%", r.threads[i], r.seconds[i], r.speedup[i],
                100 * r.efficiency[i]);
    if (std::isnan(r.karp_flatt[i])) {
      std::printf(" %12s\n", "-");
    } else {
      std::printf(" %12.3f\n", r.karp_flatt[i]);
    }
  }
  if (std::isnan(r.serial_fraction)) {
    std::printf("\nAmdahl fit: needs at least 2 thread counts (use --max-threads 2 or more)\n");
    return;
  }
  const double f = r.serial_fraction;
  if (f > 0) {
    std::printf("\nAmdahl fit: serial fraction %.3f (no core count gives more than %.2fx)\n", f,
                1 / f);
  } else {
    std::printf("\nAmdahl fit: serial fraction 0 (it scaled perfectly)\n");
  }
  std::printf("predicted speedup: %.2fx at %u threads, %.2fx at %u threads\n",
              amdahl_speedup(f, 2.0 * n), 2 * n, amdahl_speedup(f, 4.0 * n), 4 * n);
}

nlohmann::json to_json(const scaling& r, unsigned n, unsigned reps,
                       const std::vector<std::string>& command) {
  const double f = r.serial_fraction;
  nlohmann::json predicted = nlohmann::json::array();
  for (unsigned p : {2 * n, 4 * n})
    predicted.push_back({{"threads", p},
                         {"speedup", std::isnan(f) ? nlohmann::json(nullptr)
                                                   : nlohmann::json(amdahl_speedup(f, p))}});
  return {{"command", command},
          {"reps", reps},
          {"threads", r.threads},
          {"seconds", numbers(r.seconds)},
          {"speedup", numbers(r.speedup)},
          {"efficiency", numbers(r.efficiency)},
          {"karp_flatt", numbers(r.karp_flatt)},
          {"serial_fraction", number_or_null(f)},
          {"predicted", predicted}};
}

int run_scale(const scale_settings& s) {
  if (s.command.empty())
    throw std::invalid_argument("scale needs a command after --: brigade scale -- CMD ARGS...");
  const unsigned n =
      s.max_threads != 0 ? s.max_threads : std::max(1U, std::thread::hardware_concurrency());
  std::vector<unsigned> threads;
  std::vector<double> medians;
  {
    // While commands run, SIGINT and SIGTERM are passed on to the running one, then we stop.
    held_signals signals;
    for (unsigned p = 1; p <= n; ++p) {
      std::vector<double> times;
      for (unsigned k = 1; k <= s.reps; ++k) {
        times.push_back(time_one_run(s, p, signals));
        std::fprintf(stderr, "scale: %u of %u threads, run %u of %u: %.4f s\n", p, n, k, s.reps,
                     times.back());
      }
      threads.push_back(p);
      medians.push_back(median(times));
    }
  }
  const scaling r = analyse_scaling(threads, medians);
  if (!s.svg.empty()) {
    std::ofstream out(s.svg, std::ios::trunc);
    out << speedup_svg(r, "speedup of " + command_line(s.command));
    out.close();
    if (!out) throw std::runtime_error("cannot write \"" + s.svg + "\"");
  }
  if (s.json) {
    std::cout << to_json(r, n, s.reps, s.command).dump(2) << '\n';
  } else {
    print_text(r, n);
    if (!s.svg.empty()) std::printf("wrote %s\n", s.svg.c_str());
  }
  return 0;
}

}  // namespace

void add_scale_command(CLI::App& app, action& chosen) {
  auto s = std::make_shared<scale_settings>();
  CLI::App* sub = app.add_subcommand(
      "scale",
      "Run a brigade program at 1..N threads (BRIGADE_THREADS), report speedup, efficiency and "
      "the Karp-Flatt serial fraction, fit Amdahl's law and predict the speedup on more cores");
  sub->add_option("--max-threads", s->max_threads,
                  "Largest thread count to measure (default: the hardware's)")
      ->check(CLI::Range(1U, 4096U));
  sub->add_option("--reps", s->reps, "Runs per thread count (the median is kept)")
      ->check(CLI::Range(1U, 1000U))
      ->capture_default_str();
  sub->add_option("--timeout", s->timeout,
                  "Seconds one run may take; a run past it is stopped and scale fails")
      ->check(finite_number())
      ->check(CLI::Range(0.001, 1e7))
      ->capture_default_str();
  sub->add_flag("--json", s->json, "Print the results as JSON");
  sub->add_option("--svg", s->svg, "Write the speedup plot (measured, Amdahl, ideal) here");
  sub->add_option("command", s->command, "The program and its arguments, after --")->required();
  sub->footer("Example: brigade scale --max-threads 4 --svg speedup.svg -- ./team_of_chefs");
  sub->callback([s, &chosen] { chosen = [s] { return run_scale(*s); }; });
}

}  // namespace brigade::cli
