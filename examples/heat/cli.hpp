// The command line of heat and heat_mpi: their settings and the parse both share (CLI11).
#pragma once

#include <optional>
#include <string>

namespace heat {

struct settings {
  int n = 0;
  int steps = -1;
  double alpha = 0.2;
  bool check = false;
  bool json = false;
  std::string trace;
};

/// Reads the flags into s. An exit code means: stop now (--help: 0, a bad value: 2). `program`
/// names the program in the usage and in the one-line errors on stderr; with `speak` false
/// (every MPI rank but 0) nothing is printed, the exit code is the same.
std::optional<int> parse(int argc, char** argv, settings& s, const char* program,
                         const char* description, bool speak = true);

}  // namespace heat
