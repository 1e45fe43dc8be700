// The brigade command line: parses the arguments with CLI11 and runs the chosen subcommand.
#include "app.hpp"
#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <string>

namespace {

// Errors are one line on stderr, so scripts and people see the cause and nothing else.
void print_error(const std::string& what) {
  std::string line = what;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::fprintf(stderr, "brigade: error: %s\n", line.c_str());
}

// Our output is the product: a full disk or a closed stdout must fail the command, not pass
// silently. std::cout shares stdout's buffer (sync_with_stdio), so flushing stdout flushes both;
// ferror also catches a write that failed earlier, when a full buffer was written out.
int check_stdout(int status) {
  errno = 0;  // a failing flush below sets it; a successful one leaves it alone
  std::cout.flush();
  const bool flushed = std::fflush(stdout) == 0;
  const int err = errno;
  if (flushed && !std::ferror(stdout) && std::cout.good()) return status;
  if (status != 0) return status;  // the command failed already and said why
  // errno is lost when the write failed earlier and nothing was left to flush.
  print_error(std::string("cannot write to standard output") +
              (err != 0 ? std::string(": ") + std::strerror(err) : ""));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  brigade::cli::action chosen;
  const std::unique_ptr<CLI::App> app = brigade::cli::make_app(chosen);

  try {
    app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return check_stdout(app->exit(e));  // --help: usage on stdout
    print_error(e.what());
    return 2;
  }
  if (!chosen) {
    std::cout << app->help();
    return check_stdout(0);
  }
  int status = 1;
  try {
    status = chosen();
  } catch (const brigade::cli::exit_error& e) {
    print_error(e.what());
    status = e.status();
  } catch (const std::exception& e) {
    print_error(e.what());
    status = 1;
  }
  return check_stdout(status);
}
