// A pool under a long mixed load, for bench/soak.sh: rounds of fork-join (fib with brigade::join),
// a task graph built afresh and run (a lattice where each node needs the two above it), and a
// parallel_for, until --minutes have passed and at least --tasks tasks have run. Every
// --interval seconds one line on stdout:
//
//   sample seconds=10.0 tasks=123456789 rss_kb=5120 fds=7 errors=0
//
// Tasks counted: the calls of fib (each a closure that join runs) and the graph's nodes. Every
// round's results are checked against serial arithmetic; a wrong one counts as an error (and the
// exit status is then 1).
#include <brigade/par/parallel_for.hpp>
#include <brigade/par/task_graph.hpp>
#include <brigade/pool/join.hpp>
#include <brigade/pool/pool.hpp>

#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

long fib(int n) {
  if (n < 2) return n;
  auto [a, b] = brigade::join([n] { return fib(n - 1); }, [n] { return fib(n - 2); });
  return a + b;
}

// Calls of fib(n), the root included: 2 fib(n + 1) - 1.
std::uint64_t fib_calls(int n) {
  std::uint64_t a = 0, b = 1;  // fib(0), fib(1)
  for (int i = 0; i < n + 1; ++i) {
    const std::uint64_t next = a + b;
    a = b;
    b = next;
  }
  return 2 * a - 1;
}

long serial_fib(int n) {
  long a = 0, b = 1;
  for (int i = 0; i < n; ++i) {
    const long next = a + b;
    a = b;
    b = next;
  }
  return a;
}

// A side x side lattice: node (r, c) adds up the values of (r - 1, c) and (r, c - 1), so node
// (r, c) holds C(r + c, r) mod 2^64 (paths from the corner); the last node is checked against
// the same recurrence computed serially.
bool lattice_round(brigade::pool& p, int side) {
  std::vector<std::uint64_t> value(static_cast<std::size_t>(side * side), 0);
  brigade::task_graph g;
  std::vector<brigade::graph_task> node;
  node.reserve(value.size());
  for (int r = 0; r < side; ++r)
    for (int c = 0; c < side; ++c)
      node.push_back(g.add([&value, side, r, c] {
        const auto at = [side](int rr, int cc) { return static_cast<std::size_t>(rr * side + cc); };
        value[at(r, c)] = (r == 0 || c == 0) ? 1 : value[at(r - 1, c)] + value[at(r, c - 1)];
      }));
  for (int r = 0; r < side; ++r)
    for (int c = 0; c < side; ++c) {
      const std::size_t i = static_cast<std::size_t>(r * side + c);
      if (r + 1 < side) node[i].precede(node[i + static_cast<std::size_t>(side)]);
      if (c + 1 < side) node[i].precede(node[i + 1]);
    }
  g.run(p);
  std::vector<std::uint64_t> row(static_cast<std::size_t>(side), 1);
  for (int r = 1; r < side; ++r)
    for (int c = 1; c < side; ++c)
      row[static_cast<std::size_t>(c)] += row[static_cast<std::size_t>(c - 1)];
  return value.back() == row.back();
}

long rss_kb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

long open_fds() {
  long n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n - 1;  // the iterator's own
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A pool under a long mixed load (fork-join, task graphs, parallel_for)"};
  double minutes = 1;
  double interval = 10;
  std::uint64_t tasks = 100'000'000;
  unsigned threads = 0;
  app.add_option("--minutes", minutes, "run at least this long")->check(CLI::NonNegativeNumber);
  app.add_option("--interval", interval, "seconds between samples")->check(CLI::PositiveNumber);
  app.add_option("--tasks", tasks, "run at least this many tasks");
  app.add_option("--threads", threads, "pool threads (0: the machine's cores)");
  CLI11_PARSE(app, argc, argv);

  // 0: BRIGADE_THREADS, else one worker per hardware thread.
  const auto owned =
      threads == 0 ? std::make_unique<brigade::pool>() : std::make_unique<brigade::pool>(threads);
  brigade::pool& pool = *owned;
  constexpr int fib_n = 24;
  constexpr int side = 64;
  const std::uint64_t per_round = fib_calls(fib_n) + static_cast<std::uint64_t>(side * side);
  std::vector<double> field(1 << 16, 1.0);
  std::uint64_t done = 0, errors = 0;
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  auto next_sample = start + std::chrono::duration<double>(interval);
  const auto until = start + std::chrono::duration<double>(minutes * 60);
  for (;;) {
    if (pool.run([] { return fib(fib_n); }) != serial_fib(fib_n)) ++errors;
    if (!lattice_round(pool, side)) ++errors;
    brigade::parallel_for(0, field.size(), [&](std::size_t i) { field[i] = field[i] * 0.5 + 0.5; },
                          {.pool = &pool});
    if (field[field.size() / 2] != 1.0) ++errors;  // x -> x/2 + 1/2 keeps 1 at 1
    done += per_round;
    const auto now = clock::now();
    const bool finished = now >= until && done >= tasks;
    if (now >= next_sample || finished) {
      std::printf("sample seconds=%.1f tasks=%llu rss_kb=%ld fds=%ld errors=%llu\n",
                  std::chrono::duration<double>(now - start).count(),
                  static_cast<unsigned long long>(done), rss_kb(), open_fds(),
                  static_cast<unsigned long long>(errors));
      std::fflush(stdout);
      next_sample = now + std::chrono::duration<double>(interval);
    }
    if (finished) break;
  }
  return errors == 0 ? 0 : 1;
}
