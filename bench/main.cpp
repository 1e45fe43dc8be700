// brigade_bench: brigade against oneTBB, OpenMP and serial code on the same inputs, in one
// process. See bench/README.md for the workloads and the flags.
#include "fib/fib.hpp"
#include "harness/options.hpp"
#include "harness/report.hpp"
#include "harness/runner.hpp"
#include "harness/runtimes.hpp"
#include "mandelbrot/mandelbrot.hpp"
#include "reduce/reduce.hpp"
#include "sort/sort.hpp"
#include "uts/uts.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace {

const std::vector<std::pair<std::string, bench::factory>> workloads = {
    {"fib", bench::fib::make},       {"mandelbrot", bench::mandelbrot::make},
    {"reduce", bench::reduce::make}, {"sort", bench::sort::make},
    {"uts", bench::uts::make},
};

// Other busy processes make every timing noisy: say so up front.
void warn_if_busy() {
  double load = 0;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = 0;
    std::fclose(f);
  }
  if (load > 0.5)
    std::fprintf(stderr,
                 "brigade_bench: warning: load average %.2f before starting; other processes "
                 "are running and timings will be noisy\n",
                 load);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> names;
  for (const auto& w : workloads) names.push_back(w.first);

  bench::options o;
  try {
    o = bench::parse_options(argc, argv, names);
  } catch (const bench::usage_error& e) {
    std::fprintf(stderr, "brigade_bench: %s\n", e.what());
    return 2;
  }
  if (o.help) {
    std::fputs(bench::usage_text(names).c_str(), stdout);
    return 0;
  }

  warn_if_busy();
  try {
    bench::start_runtimes(o.threads);
    std::vector<bench::result> all;
    for (const std::string& name : o.workloads) {
      for (const auto& [wname, make] : workloads) {
        if (wname != name) continue;
        std::fprintf(stderr, "%s: preparing inputs\n", name.c_str());
        const bench::group g = make(bench::config{o.quick});
        std::vector<bench::result> rs = bench::run_group(g, o);
        for (const bench::result& r : rs) bench::print_json(stdout, r);
        std::fflush(stdout);
        all.insert(all.end(), rs.begin(), rs.end());
      }
    }
    bench::print_table(stdout, all);
  } catch (const bench::wrong_result& e) {
    std::fprintf(stderr, "\nbrigade_bench: wrong result: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\nbrigade_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
