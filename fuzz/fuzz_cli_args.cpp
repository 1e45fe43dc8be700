// Fuzzes the `brigade` command line's arguments: the app main builds (tools/brigade/app.hpp,
// every subcommand, its options and their checks), parsed as main parses it, and the chosen
// subcommand never run (no file read, no child started).
// Input: the arguments after "brigade", separated by NUL bytes when there is one, else by
// newlines (so that seeds read as text); a separator at the very end ends the last argument;
// at most 64 arguments.
// Checks: parsing succeeds, or throws a CLI::ParseError with a message (main's usage error, exit
// 2) or a help request whose text main prints; a subcommand is chosen exactly when one was
// parsed, and every whole-number option it took reached CLI11's conversion as plain decimal. Any
// other exception escapes, and libFuzzer reports it: main lets only ParseError out of parse, so
// anything else would end the real command in std::terminate. Every argument also goes through
// parse_what_if (`trace
// --what-if`, read when the command runs): a label (the text before the last '=') and a finite
// factor >= 0, or a std::runtime_error naming --what-if.
#include "app.hpp"
#include "fuzz_check.hpp"
#include "trace_what_if.hpp"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t max_args = 64;

std::vector<std::string> split_args(std::string_view text) {
  const char sep = text.find('\0') != std::string_view::npos ? '\0' : '\n';
  std::vector<std::string> args{"brigade"};
  while (!text.empty() && args.size() <= max_args) {
    const std::size_t end = text.find(sep);
    args.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return args;
}

// Decimal digits, no leading zero but in "0".
bool decimal(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos &&
         (text.size() == 1 || text[0] != '0');
}

// CLI11 reads an unsigned option with strtoull in base 0 and lets a minus sign wrap around: an
// accepted one must have reached it as plain decimal digits without a leading zero
// (tools/brigade/whole_number.hpp; results() hold the text after the transforms).
void check_whole_numbers(const CLI::App& sub) {
  for (const CLI::Option* o : sub.get_options()) {
    if (o->get_type_name().rfind("UINT", 0) != 0) continue;  // "UINT:INT in [1 - 1000]"
    for (const std::string& r : o->results()) fuzz_check(decimal(r));
  }
}

void check_what_if(const std::string& text) {
  try {
    const brigade::trace::what_if w = brigade::cli::parse_what_if(text);
    fuzz_check(!w.label.empty());
    fuzz_check(w.label == text.substr(0, text.rfind('=')));
    fuzz_check(std::isfinite(w.factor) && w.factor >= 0);
  } catch (const std::runtime_error& e) {
    fuzz_check(std::string_view(e.what()).find("--what-if") != std::string_view::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::vector<std::string> args =
      split_args(std::string_view(reinterpret_cast<const char*>(bytes), size));
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);

  brigade::cli::action chosen;
  const std::unique_ptr<CLI::App> app = brigade::cli::make_app(chosen);
  try {
    app->parse(static_cast<int>(args.size()), argv.data());
    // main runs the chosen subcommand; with none it prints the help.
    fuzz_check(static_cast<bool>(chosen) == (app->get_subcommands().size() == 1));
    if (!chosen) fuzz_check(!app->help().empty());
    for (const CLI::App* sub : app->get_subcommands()) check_whole_numbers(*sub);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help: main prints the usage on stdout
      std::ostringstream out, err;
      fuzz_check(app->exit(e, out, err) == 0);
      fuzz_check(!out.str().empty());
    } else {
      fuzz_check(*e.what() != '\0');
    }
  }
  for (std::size_t i = 1; i < args.size(); ++i) check_what_if(args[i]);
  return 0;
}
