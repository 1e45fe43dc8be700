// `brigade bench`: runs brigade_bench (brigade against oneTBB, OpenMP and serial code).
#include "child_process.hpp"
#include "commands.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace brigade::cli {
namespace {

struct bench_settings {
  std::string binary;  // empty: look for it
  bool quick = false;
  std::string reps, threads, impl, workload;  // passed on as given; brigade_bench checks them
  bool json = false;
  std::vector<std::string> extra;  // after --
};

bool executable(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

// brigade_bench is built beside us in a build tree (build/bench/brigade_bench next to
// build/tools/brigade/brigade), or installed next to us, or somewhere on $PATH.
std::string find_bench(const bench_settings& s) {
  namespace fs = std::filesystem;
  if (!s.binary.empty()) {
    if (!executable(s.binary))
      throw std::runtime_error("--bench-binary \"" + s.binary + "\" is not an executable file");
    return s.binary;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec).parent_path();
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates = {self / "brigade_bench", self / ".." / ".." / "bench" / "brigade_bench",
                  self / ".." / "bench" / "brigade_bench"};
  }
  if (const char* path = std::getenv("PATH")) {
    std::string dirs = path;
    for (std::size_t b = 0; b <= dirs.size();) {
      const std::size_t e = std::min(dirs.find(':', b), dirs.size());
      if (e > b) candidates.push_back(fs::path(dirs.substr(b, e - b)) / "brigade_bench");
      b = e + 1;
    }
  }
  for (const fs::path& c : candidates)
    if (executable(c)) return c.lexically_normal().string();
  throw std::runtime_error(
      "brigade_bench not found next to brigade or on $PATH; build it with `cmake --preset bench "
      "&& cmake --build --preset bench` (needs oneTBB and OpenMP: tools/install-deps.sh --bench) "
      "or pass --bench-binary PATH");
}

std::vector<std::string> bench_arguments(const std::string& binary, const bench_settings& s) {
  std::vector<std::string> argv{binary};
  if (s.quick) argv.emplace_back("--quick");
  auto pass = [&](const char* flag, const std::string& value) {
    if (value.empty()) return;
    argv.emplace_back(flag);
    argv.push_back(value);
  };
  pass("--reps", s.reps);
  pass("--threads", s.threads);
  pass("--impl", s.impl);
  pass("--workload", s.workload);
  argv.insert(argv.end(), s.extra.begin(), s.extra.end());
  return argv;
}

// Calls on_line for every line the child writes to fd, until it closes it.
template <class F>
void for_each_line(int fd, F&& on_line) {
  std::string pending;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      on_line(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  if (!pending.empty()) on_line(pending);
}

// One result line as progress on stderr: "bench: [3] fib/brigade at 2 threads: 0.1912 s".
void show_progress(std::size_t count, const nlohmann::json& r) {
  const auto text = [&](const char* key) {
    if (!r.contains(key)) return std::string("?");
    return r[key].is_string() ? r[key].get<std::string>() : r[key].dump();
  };
  const nlohmann::json median = r.value("median_seconds", nlohmann::json());
  std::fprintf(stderr, "bench: [%zu] %s/%s at %s threads: %.4g s\n", count,
               text("workload").c_str(), text("impl").c_str(), text("threads").c_str(),
               median.is_number() ? median.get<double>() : 0.0);
}

int run_bench(const bench_settings& s) {
  const std::vector<std::string> argv = bench_arguments(find_bench(s), s);
  std::fprintf(stderr, "bench: running %s\n", command_line(argv).c_str());
  // The child's; never run (the waits here block); epoll: nothing to print where io_uring is
  // refused.
  brigade::event_loop loop(brigade::event_loop::options{brigade::io_backend::epoll});
  child_process child(loop, {.argv = argv, .env = {}, .out = child_process::output::pipe});
  nlohmann::json results = nlohmann::json::array();
  for_each_line(child.stdout_fd(), [&](const std::string& line) {
    if (!line.empty() && line.front() == '{') {
      nlohmann::json r = nlohmann::json::parse(line, nullptr, false);
      if (!r.is_discarded()) {
        results.push_back(r);
        show_progress(results.size(), r);
        return;
      }
    }
    if (!s.json) std::cout << line << '\n' << std::flush;  // brigade_bench's table
  });
  const brigade::exit_status status = child.wait();
  if (!status.success())
    throw std::runtime_error("\"" + command_line(argv) + "\" " + describe_status(status));
  if (s.json) std::cout << results.dump(2) << '\n';
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, action& chosen) {
  auto s = std::make_shared<bench_settings>();
  CLI::App* sub = app.add_subcommand(
      "bench",
      "Run the benchmark suite (brigade_bench: brigade against oneTBB, OpenMP and serial "
      "code) with progress and its results table");
  sub->add_option("--bench-binary", s->binary,
                  "The brigade_bench program (default: beside brigade in its build tree, or on "
                  "$PATH)");
  sub->add_flag("--quick", s->quick, "Small inputs: the whole suite in a few seconds");
  sub->add_option("--reps", s->reps, "Repetitions of every measurement");
  sub->add_option("--threads", s->threads, "Thread counts, comma-separated (e.g. 1,2,4)");
  sub->add_option("--impl", s->impl, "Implementations: any of brigade,tbb,omp,serial");
  sub->add_option("--workload", s->workload, "Workloads: any of fib,mandelbrot,reduce,sort,uts");
  sub->add_flag("--json", s->json, "Print the results as one JSON array instead of the table");
  sub->add_option("args", s->extra, "More arguments for brigade_bench, after --");
  sub->callback([s, &chosen] { chosen = [s] { return run_bench(*s); }; });
}

}  // namespace brigade::cli
