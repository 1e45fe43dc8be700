// Parsing of the shared benchmark flags with CLI11; see options.hpp.
#include "harness/options.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

namespace bench {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

// The names of `given` that are in `order`, in `order`'s order, each once.
template <class T>
std::vector<T> each_once(const std::vector<T>& given, const std::vector<T>& order) {
  std::vector<T> out;
  for (const T& x : order)
    if (std::find(given.begin(), given.end(), x) != given.end() &&
        std::find(out.begin(), out.end(), x) == out.end())
      out.push_back(x);
  return out;
}

// A list flag: comma-separated, and given twice the lists add up.
template <class T>
CLI::Option* add_list(CLI::App& app, const std::string& flag, std::vector<T>& into,
                      const std::string& help, const std::string& type_name) {
  // One value per flag (`--threads 1 2` leaves 2 unexpected), split at the commas.
  return app.add_option(flag, into, help)
      ->delimiter(',')
      ->type_name(type_name)
      ->allow_extra_args(false);
}

}  // namespace

std::optional<int> parse_command_line(const program_info& p, int argc, const char* const* argv,
                                      options& o) {
  o = options{};
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<int> threads;
  std::vector<std::string> impls, workloads;

  CLI::App app{p.description, p.name};
  app.footer(p.footer +
             "Exit status: 0 success, 1 a wrong result or a failure, 2 a bad command "
             "line.");
  if (p.fixed_threads) {
    // Listed and refused, so that naming them says why rather than "not expected".
    const CLI::Validator refuse(
        [](std::string&) {
          return std::string(
              "not supported here: every implementation runs at fixed thread "
              "counts (see --help)");
        },
        "");
    for (const char* flag : {"--threads", "--impl"})
      app.add_option(flag, "refused: every workload here fixes its own thread counts")
          ->check(refuse);
  } else {
    add_list(app, "--threads", threads,
             "thread counts to measure (default: 1 and the hardware's, " + std::to_string(hw) + ")",
             "N,...")
        ->check(CLI::Range(1, 1024));
    add_list(app, "--impl", impls, "any of " + joined(all_impls) + " (default: all)", "NAME,...")
        ->check(CLI::IsMember(all_impls));
  }
  app.add_option("--reps", o.reps, "repetitions of every measurement")
      ->check(CLI::Range(1, 1000))
      ->type_name("K")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  add_list(app, "--workload", workloads, "any of " + joined(p.workloads) + " (default: all)",
           "NAME,...")
      ->check(CLI::IsMember(p.workloads));
  app.add_flag("--quick", o.quick, "CI-sized inputs: the whole suite in a few seconds");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help
      std::cout << app.help() << std::flush;
      return 0;
    }
    std::string line = e.what();  // one line, so scripts and people see the cause and no more
    std::replace(line.begin(), line.end(), '\n', ' ');
    std::fprintf(stderr, "%s: error: %s\n", p.name.c_str(), line.c_str());
    return 2;
  }

  o.threads = threads.empty() ? (hw == 1 ? std::vector<int>{1} : std::vector<int>{1, hw})
                              : each_once(threads, threads);
  o.impls = impls.empty() ? all_impls : each_once(impls, all_impls);
  o.workloads = workloads.empty() ? p.workloads : each_once(workloads, workloads);
  return std::nullopt;
}

}  // namespace bench
