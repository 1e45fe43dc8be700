// Parsing of the shared benchmark flags; see options.hpp.
#include "harness/options.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <thread>

namespace bench {
namespace {

std::vector<std::string> split_list(std::string_view flag, std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item = text.substr(start, comma - start);
    if (item.empty())
      throw usage_error(std::string(flag) + " expects a comma-separated list, got '" +
                        std::string(text) + "'");
    out.emplace_back(item);
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

int parse_int(std::string_view flag, const std::string& text, int lo, int hi) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < lo || v > hi)
    throw usage_error(std::string(flag) + " expects an integer from " + std::to_string(lo) +
                      " to " + std::to_string(hi) + ", got '" + text + "'");
  return static_cast<int>(v);
}

// Keeps the names in `allowed` order (impls) or given order (workloads), each once; rejects
// unknown names.
std::vector<std::string> pick(std::string_view flag, const std::string& text,
                              const std::vector<std::string>& allowed, bool allowed_order) {
  std::vector<std::string> given = split_list(flag, text);
  std::string known;
  for (const std::string& a : allowed) known += (known.empty() ? "" : ",") + a;
  for (const std::string& g : given)
    if (std::find(allowed.begin(), allowed.end(), g) == allowed.end())
      throw usage_error(std::string(flag) + ": unknown name '" + g + "' (known: " + known + ")");
  std::vector<std::string> out;
  const std::vector<std::string>& order = allowed_order ? allowed : given;
  for (const std::string& name : order)
    if (std::find(given.begin(), given.end(), name) != given.end() &&
        std::find(out.begin(), out.end(), name) == out.end())
      out.push_back(name);
  return out;
}

}  // namespace

options parse_options(int argc, const char* const* argv,
                      const std::vector<std::string>& workloads) {
  options o;
  o.impls = all_impls;
  o.workloads = workloads;
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.threads = hw == 1 ? std::vector<int>{1} : std::vector<int>{1, hw};

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (const std::size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
      has_value = true;
    }
    auto take_value = [&]() -> const std::string& {
      if (!has_value) {
        if (i + 1 >= argc) throw usage_error(arg + " needs a value (see --help)");
        value = argv[++i];
        has_value = true;
      }
      return value;
    };
    if (arg == "--help" || arg == "-h") {
      o.help = true;
    } else if (arg == "--quick") {
      o.quick = true;
    } else if (arg == "--threads") {
      o.threads.clear();
      for (const std::string& t : split_list(arg, take_value())) {
        const int n = parse_int(arg, t, 1, 1024);
        if (std::find(o.threads.begin(), o.threads.end(), n) == o.threads.end())
          o.threads.push_back(n);
      }
    } else if (arg == "--reps") {
      o.reps = parse_int(arg, take_value(), 1, 1000);
    } else if (arg == "--impl") {
      o.impls = pick(arg, take_value(), all_impls, true);
    } else if (arg == "--workload") {
      o.workloads = pick(arg, take_value(), workloads, false);
    } else {
      throw usage_error("unknown flag '" + std::string(argv[i]) + "' (see --help)");
    }
    if (has_value && (arg == "--help" || arg == "-h" || arg == "--quick"))
      throw usage_error(arg + " takes no value");
  }
  return o;
}

std::string usage_text(const std::vector<std::string>& workloads) {
  std::string names;
  for (const std::string& w : workloads) names += (names.empty() ? "" : ",") + w;
  return "usage: brigade_bench [--threads N,...] [--reps K] [--impl NAME,...]\n"
         "                     [--workload NAME,...] [--quick] [--help]\n"
         "Runs brigade and its peers (oneTBB, OpenMP, serial) on the same inputs in one\n"
         "process, interleaved within every repetition, and checks every result against the\n"
         "serial one. Prints one JSON line per result, then a table of medians and ratios.\n"
         "  --threads N,...     thread counts to measure (default: 1 and the hardware's)\n"
         "  --reps K            repetitions of every measurement (default 5)\n"
         "  --impl NAME,...     brigade,tbb,omp,serial (default: all)\n"
         "  --workload NAME,... " +
         names +
         " (default: all)\n"
         "  --quick             CI-sized inputs: the whole suite in a few seconds\n"
         "Exit status: 0 success, 1 a wrong result or a failure, 2 a bad command line.\n";
}

}  // namespace bench
