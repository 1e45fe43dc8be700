// The check every floating-point option of the command line passes first: a finite number.
#pragma once

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

namespace brigade::cli {

/// A CLI11 check that refuses "nan", "inf", "1e999" and text that is not a number, before any
/// range check: NaN compares false with everything, so CLI::Range alone lets it through.
/// The error reads "--cpu-ms: nan is not a finite number".
inline CLI::Validator finite_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const char* begin = text.c_str();
        char* end = nullptr;
        const double v = std::strtod(begin, &end);
        if (end == begin || *end != '\0') return text + " is not a number";
        if (!std::isfinite(v)) return text + " is not a finite number";
        return {};
      },
      "", "finite number");
}

}  // namespace brigade::cli
