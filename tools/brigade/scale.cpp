// `brigade scale -- CMD ARGS`: runs a program at 1..N threads and fits Amdahl's law; with
// --ranks, at several MPI rank counts under mpirun (one brigade runtime per rank).
#include "child_process.hpp"
#include "commands.hpp"
#include "finite_number.hpp"
#include "scale_math.hpp"
#include "scale_plot.hpp"
#include "whole_number.hpp"

#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
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
  std::string svg;        // empty: no plot
  bool progress = false;  // progress lines on stderr even when it is not a terminal
  std::vector<std::string> command;
  std::vector<std::string> ranks;  // --ranks: MPI rank counts instead of thread counts
  std::string mpirun = "mpirun";
  std::string mpirun_args;  // split at white space
};

// How one measured run is started: thread counts set BRIGADE_THREADS; rank counts run the
// command under mpirun -np R.
struct launcher {
  bool ranks = false;
  std::string mpirun;  // the resolved path (ranks only)
  std::vector<std::string> mpirun_args;

  const char* unit() const { return ranks ? "ranks" : "threads"; }
  const char* one() const { return ranks ? "rank" : "thread"; }
  std::vector<std::string> argv(const scale_settings& s, unsigned p) const {
    if (!ranks) return s.command;
    std::vector<std::string> out{mpirun};
    // Open MPI refuses more ranks than cores unless told; the user's own arguments may say more.
    if (p > std::max(1U, std::thread::hardware_concurrency())) out.push_back("--oversubscribe");
    out.insert(out.end(), mpirun_args.begin(), mpirun_args.end());
    out.push_back("-np");
    out.push_back(std::to_string(p));
    out.insert(out.end(), s.command.begin(), s.command.end());
    return out;
  }
  std::vector<std::string> env(unsigned p) const {
    if (!ranks) return {"BRIGADE_THREADS=" + std::to_string(p)};
    // Open MPI refuses to start as root (a container's usual user) without both.
    if (::geteuid() == 0) return {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"};
    return {};
  }
  std::string describe(const scale_settings& s, unsigned p) const {
    return "\"" + command_line(s.command) + "\"" +
           (ranks ? " under " + mpirun + " -np " + std::to_string(p)
                  : " at BRIGADE_THREADS=" + std::to_string(p));
  }
};

// One run of the command at p threads (or ranks); its wall time in seconds.
double time_one_run(const scale_settings& s, const launcher& how, unsigned p,
                    held_signals& signals) {
  const auto t0 = std::chrono::steady_clock::now();
  // stdout goes nowhere: the measured program's output would mix with ours (and our JSON).
  child_process child(
      signals.loop(),
      {.argv = how.argv(s, p), .env = how.env(p), .out = child_process::output::discard});
  const child_process::ending e =
      child.wait_for(signals, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::duration<double>(s.timeout)));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string run = how.describe(s, p);
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
  if (!e.status.success()) throw std::runtime_error(run + " " + describe_status(e.status));
  return seconds;
}

// Below this a run is too short to time: process start-up and the scheduler's noise are a
// large part of it, so speedups and Karp–Flatt figures come out as noise (0.796 for a 23 ms
// program).
constexpr double shortest_timeable_seconds = 0.1;

// "850 ms", "4.2 s", "3 min 20 s": a duration as a person reads it.
std::string human_seconds(double s) {
  char buf[48];
  if (s < 1) {
    std::snprintf(buf, sizeof buf, "%.0f ms", s * 1000);
  } else if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  } else {
    const auto whole = static_cast<unsigned long>(s + 0.5);
    std::snprintf(buf, sizeof buf, "%lu min %02lu s", whole / 60, whole % 60);
  }
  return buf;
}

// Progress on stderr, never on stdout (which may carry --json): on a terminal one line rewritten
// in place before each run, showing what runs now, and erased at the end (or when an error
// unwinds past it, so the error line starts clean); elsewhere nothing, unless --progress asks
// for one line per finished run, as a log.
class progress {
 public:
  explicit progress(bool asked) : tty_(::isatty(STDERR_FILENO) == 1), log_(asked && !tty_) {}
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;
  ~progress() { erase(); }

  void starting(const std::string& what) {
    if (!tty_) return;
    std::fprintf(stderr, "\r%s\x1b[K", what.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  void finished(const std::string& what) {
    if (log_) std::fprintf(stderr, "%s\n", what.c_str());
  }
  void erase() {
    if (shown_) std::fputs("\r\x1b[K", stderr);
    shown_ = false;
  }

 private:
  bool tty_, log_;
  bool shown_ = false;
};

// "; 7 runs left, about 3.1 s" — the estimate assumes each run left takes `per_run` (NaN: not
// known yet), the mean of the latest runs; more threads usually run faster, so it errs long.
std::string runs_left(unsigned left, double per_run) {
  std::string text = "; " + std::to_string(left) + (left == 1 ? " run" : " runs") + " left";
  if (left > 0 && std::isfinite(per_run)) text += ", about " + human_seconds(left * per_run);
  return text;
}

double mean(const std::vector<double>& xs) {
  double sum = 0;
  for (double x : xs) sum += x;
  return xs.empty() ? std::nan("") : sum / static_cast<double>(xs.size());
}

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json numbers(const std::vector<double>& vs) {
  nlohmann::json a = nlohmann::json::array();
  for (double v : vs) a.push_back(number_or_null(v));
  return a;
}

void print_text(const scaling& r, const std::vector<repetitions>& reps, unsigned k, unsigned n,
                const launcher& how) {
  const char* unit = how.unit();
  std::printf("%7s %11s %8s %7s %11s %12s\n", unit, "median", "speedup", "spread", "efficiency",
              "Karp-Flatt");
  for (std::size_t i = 0; i < r.threads.size(); ++i) {
    std::printf("%7u %9.4f s %7.2fx", r.threads[i], r.seconds[i], r.speedup[i]);
    if (k > 1) {
      std::printf(" %6.1f%%", 100 * reps[i].spread());
    } else {
      std::printf(" %7s", "-");
    }
    std::printf(" %10.0f%%", 100 * r.efficiency[i]);
    if (std::isnan(r.karp_flatt[i])) {
      std::printf(" %12s\n", "-");
    } else {
      std::printf(" %12.3f\n", r.karp_flatt[i]);
    }
  }
  if (k > 1)
    std::printf("spread: (slowest - fastest) / median of the %u runs at that %s count\n", k,
                how.one());
  if (std::isnan(r.serial_fraction)) {
    std::printf("\nAmdahl fit: needs at least 2 %s counts (use %s)\n", how.one(),
                how.ranks ? "--ranks 1,2 or more" : "--max-threads 2 or more");
    return;
  }
  const double f = r.serial_fraction;
  if (f > 0) {
    std::printf("\nAmdahl fit: serial fraction %.3f (no core count gives more than %.2fx)\n", f,
                1 / f);
  } else {
    std::printf("\nAmdahl fit: serial fraction 0 (it scaled perfectly)\n");
  }
  std::printf("predicted speedup: %.2fx at %u %s, %.2fx at %u %s\n", amdahl_speedup(f, 2.0 * n),
              2 * n, unit, amdahl_speedup(f, 4.0 * n), 4 * n, unit);
}

nlohmann::json to_json(const scaling& r, const std::vector<repetitions>& measured, unsigned n,
                       unsigned reps, const std::vector<std::string>& command,
                       const std::vector<std::string>& warnings, const launcher& how) {
  std::vector<double> lo, hi, spread;
  for (const repetitions& m : measured) {
    lo.push_back(m.min);
    hi.push_back(m.max);
    spread.push_back(m.spread());
  }
  const double f = r.serial_fraction;
  nlohmann::json predicted = nlohmann::json::array();
  for (unsigned p : {2 * n, 4 * n})
    predicted.push_back({{how.unit(), p},
                         {"speedup", std::isnan(f) ? nlohmann::json(nullptr)
                                                   : nlohmann::json(amdahl_speedup(f, p))}});
  nlohmann::json j = {{"command", command},
                      {"reps", reps},
                      {how.unit(), r.threads},
                      {"seconds", numbers(r.seconds)},
                      {"min_seconds", numbers(lo)},
                      {"max_seconds", numbers(hi)},
                      {"spread", numbers(spread)},
                      {"speedup", numbers(r.speedup)},
                      {"efficiency", numbers(r.efficiency)},
                      {"karp_flatt", numbers(r.karp_flatt)},
                      {"serial_fraction", number_or_null(f)},
                      {"predicted", predicted},
                      {"warnings", warnings}};
  if (how.ranks) j["mpirun"] = how.mpirun;
  return j;
}

// "--ranks 1,2,4": each a whole number from 1; sorted, each once. 1 must be there: the speedup
// is T(1 rank) / T(R).
std::vector<unsigned> parse_ranks(const std::vector<std::string>& texts) {
  std::vector<unsigned> out;
  for (const std::string& t : texts) {
    const bool digits = !t.empty() && t.size() <= 6 && std::all_of(t.begin(), t.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
    const unsigned long v = digits ? std::stoul(t) : 0;
    if (v < 1 || v > 65536)
      throw std::invalid_argument("--ranks: \"" + t +
                                  "\" is not a rank count (a whole number from 1 to 65536)");
    out.push_back(static_cast<unsigned>(v));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.empty() || out.front() != 1)
    throw std::invalid_argument(
        "--ranks must include 1: the speedup is T(1 rank) / T(R ranks) (e.g. --ranks 1,2,4)");
  return out;
}

// The program mpirun names: a path as given, or a name looked up in $PATH.
std::string find_program(const std::string& name) {
  auto runnable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (runnable(name)) return name;
    throw std::runtime_error("--mpirun " + name + ": not an executable file");
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (runnable(candidate)) return candidate;
  }
  throw std::runtime_error(name +
                           " not found on PATH: install Open MPI or MPICH, or name it "
                           "with --mpirun PATH");
}

int run_scale(const scale_settings& s) {
  if (s.command.empty())
    throw std::invalid_argument("scale needs a command after --: brigade scale -- CMD ARGS...");
  launcher how;
  std::vector<unsigned> counts;
  if (!s.ranks.empty()) {
    counts = parse_ranks(s.ranks);
    how.ranks = true;
    how.mpirun = find_program(s.mpirun);
    std::istringstream words(s.mpirun_args);
    for (std::string w; words >> w;) how.mpirun_args.push_back(w);
  } else {
    const unsigned most =
        s.max_threads != 0 ? s.max_threads : std::max(1U, std::thread::hardware_concurrency());
    for (unsigned p = 1; p <= most; ++p) counts.push_back(p);
  }
  const unsigned n = counts.back();
  const char* unit = how.unit();
  std::vector<unsigned> threads;
  std::vector<double> medians;
  std::vector<repetitions> measured;
  {
    // While commands run, SIGINT and SIGTERM are passed on to the running one, then we stop.
    held_signals signals;
    progress shown(s.progress);
    unsigned left = static_cast<unsigned>(counts.size()) * s.reps;
    double per_run = std::nan("");  // the mean of the latest count's runs
    for (const unsigned p : counts) {
      std::vector<double> times;
      for (unsigned k = 1; k <= s.reps; ++k) {
        const std::string at = "scale: " + std::to_string(p) + " of " + std::to_string(n) + " " +
                               unit + ", run " + std::to_string(k) + " of " +
                               std::to_string(s.reps);
        shown.starting(at + runs_left(left, per_run));
        times.push_back(time_one_run(s, how, p, signals));
        --left;
        per_run = mean(times);
        char took[32];
        std::snprintf(took, sizeof took, ": %.4f s", times.back());
        shown.finished(at + took + runs_left(left, per_run));
      }
      threads.push_back(p);
      medians.push_back(median(times));
      measured.push_back(summarize(times));
    }
  }
  std::vector<std::string> warnings;
  const auto shortest = std::min_element(medians.begin(), medians.end());
  if (*shortest < shortest_timeable_seconds) {
    const unsigned at = threads[static_cast<std::size_t>(shortest - medians.begin())];
    warnings.push_back(
        "runs are too short to time: the median at " + std::to_string(at) + " " +
        (at == 1 ? how.one() : unit) + " took " + human_seconds(*shortest) +
        " (under 100 ms), so start-up and timing noise swamp the speedups and the Karp-Flatt "
        "figures; raise the program's input until a run takes a second or more");
  }
  const scaling r = analyse_scaling(threads, medians);
  if (!s.svg.empty()) {
    std::ofstream out(s.svg, std::ios::trunc);
    out << speedup_svg(r, "speedup of " + command_line(s.command), unit);
    out.close();
    if (!out) throw std::runtime_error("cannot write \"" + s.svg + "\"");
  }
  if (s.json) {
    std::cout << to_json(r, measured, n, s.reps, s.command, warnings, how).dump(2) << '\n';
  } else {
    print_text(r, measured, s.reps, n, how);
    if (!s.svg.empty()) std::printf("wrote %s\n", s.svg.c_str());
  }
  // After the table, where it is read last; flushed first so that a terminal shows it there.
  std::cout.flush();
  std::fflush(stdout);
  for (const std::string& w : warnings) std::fprintf(stderr, "brigade: warning: %s\n", w.c_str());
  return 0;
}

}  // namespace

void add_scale_command(CLI::App& app, action& chosen) {
  auto s = std::make_shared<scale_settings>();
  CLI::App* sub = app.add_subcommand(
      "scale",
      "Run a brigade program at 1..N threads (BRIGADE_THREADS), report speedup, efficiency and "
      "the Karp-Flatt serial fraction, fit Amdahl's law and predict the speedup on more cores");
  CLI::Option* max_threads =
      sub->add_option("--max-threads", s->max_threads,
                      "Largest thread count to measure (default: the hardware's)")
          ->transform(whole_number())
          ->check(CLI::Range(1U, 4096U));
  CLI::Option* ranks =
      sub->add_option("--ranks", s->ranks,
                      "MPI rank counts to measure instead of thread counts (must include 1), "
                      "e.g. 1,2,4: runs mpirun -np R CMD ARGS; not with --max-threads")
          ->delimiter(',')
          ->type_name("R,R,...")
          ->excludes(max_threads);
  sub->add_option("--mpirun", s->mpirun,
                  "The mpirun to start ranks with (a path, or a name looked up in PATH)")
      ->capture_default_str()
      ->needs(ranks);
  sub->add_option("--mpirun-args", s->mpirun_args,
                  "More arguments for mpirun, split at white space (e.g. \"--bind-to core\")")
      ->needs(ranks);
  sub->add_option("--reps", s->reps, "Runs per thread count (the median is kept)")
      ->transform(whole_number())
      ->check(CLI::Range(1U, 1000U))
      ->capture_default_str();
  sub->add_option("--timeout", s->timeout,
                  "Seconds one run may take; a run past it is stopped and scale fails")
      ->check(finite_number())
      ->check(CLI::Range(0.001, 1e7))
      ->capture_default_str();
  sub->add_flag("--json", s->json, "Print the results as JSON");
  sub->add_flag("--progress", s->progress,
                "Log each run, the runs left and the time left on stderr even when it is not a "
                "terminal (on a terminal one progress line is always shown)");
  sub->add_option("--svg", s->svg, "Write the speedup plot (measured, Amdahl, ideal) here");
  sub->add_option("command", s->command, "The program and its arguments, after --")->required();
  sub->footer(
      "Example: brigade scale --max-threads 4 --svg speedup.svg -- ./team_of_chefs\n"
      "         brigade scale --ranks 1,2,4 -- ./my_mpi_program (mpirun -np R; --oversubscribe "
      "when R exceeds the cores; as root, OMPI_ALLOW_RUN_AS_ROOT{,_CONFIRM}=1)");
  sub->callback([s, &chosen] { chosen = [s] { return run_scale(*s); }; });
}

}  // namespace brigade::cli
