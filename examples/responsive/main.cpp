// responsive: a terminal application whose interface stays live while heavy work runs.
//
//   responsive [--size N] [--fps F] [--inline] [--json]
//
// Draws a status line (clock, frame counter, progress bar) at F frames per second; s starts a
// Mandelbrot computation of N x N points on the pool, c cancels it, q quits. --inline runs the
// same work on the UI thread, to show the difference. At exit: the largest gap between frames,
// the largest key-to-screen latency and the time the work ran.
#include "app.hpp"
#include "terminal.hpp"

#include <brigade/io/runtime.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/ioctl.h>
#include <unistd.h>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>

namespace {

struct settings {
  responsive::app_options app;
  int nice = 10;
  bool json = false;
};

std::optional<int> parse(int argc, char** argv, settings& s) {
  CLI::App cli{"Keeps a terminal interface live while a long computation runs on the pool.",
               "responsive"};
  cli.add_option("--size", s.app.size, "the work: a size x size Mandelbrot grid")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cli.add_option("--fps", s.app.fps, "frames per second")
      ->check(CLI::Range(1.0, 1000.0))
      ->capture_default_str();
  cli.add_flag("--inline", s.app.inline_work, "run the work on the UI thread instead");
  cli.add_option("--nice", s.nice, "niceness of the pool's workers (0: as they are)")
      ->check(CLI::Range(0, 19))
      ->capture_default_str();
  cli.add_flag("--json", s.json, "print the figures as one JSON object at exit");
  cli.footer(
      "Keys: s start, c cancel, q quit (end of input: q). BRIGADE_THREADS=N sets the "
      "pool size.");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return cli.exit(e);
    std::fprintf(stderr, "responsive: %s\n", e.what());
    return 2;
  }
  return std::nullopt;
}

double ms(std::int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

}  // namespace

int main(int argc, char** argv) try {
  settings s;
  if (const std::optional<int> stop = parse(argc, argv, s)) return *stop;
  brigade::runtime rt(brigade::runtime::options{.pool_nice = s.nice});
  s.app.workers = rt.pool().size();
  s.app.draw = ::isatty(STDOUT_FILENO);
  winsize ws{};
  if (s.app.draw && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    s.app.columns = ws.ws_col;
  responsive::app_report r;
  {
    responsive::terminal_mode term;  // restored when this block ends, however it ends
    responsive::app a(rt.loop(), s.app);
    rt.block_on(a.run());
    r = a.report();
  }
  const char* mode = s.app.inline_work ? "inline" : "pool";
  if (s.json) {
    nlohmann::json j = {{"mode", mode},
                        {"workers", s.app.workers},
                        {"fps", s.app.fps},
                        {"size", s.app.size},
                        {"frames", r.frames},
                        {"keys", r.keys},
                        {"max_frame_gap_ms", ms(r.max_frame_gap_ns)},
                        {"max_key_latency_ms", ms(r.max_key_latency_ns)},
                        {"work_seconds", static_cast<double>(r.work_ns) / 1e9},
                        {"work_runs", r.runs},
                        {"work_outcome", r.outcome},
                        {"max_cancel_ms", nullptr},
                        {"in_set", nullptr}};
    if (r.max_cancel_ns >= 0) j["max_cancel_ms"] = ms(r.max_cancel_ns);
    if (r.in_set) j["in_set"] = *r.in_set;
    std::cout << j.dump() << std::endl;
    return 0;
  }
  std::printf(
      "responsive (%s, %zu workers): %llu frames, max frame gap %.1f ms, max key latency "
      "%.1f ms, work %.2f s (%s)\n",
      mode, s.app.workers, static_cast<unsigned long long>(r.frames), ms(r.max_frame_gap_ns),
      ms(r.max_key_latency_ns), static_cast<double>(r.work_ns) / 1e9, r.outcome.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "responsive: %s\n", e.what());
  return 1;
}
