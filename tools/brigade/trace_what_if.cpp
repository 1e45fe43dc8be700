// `brigade trace --what-if LABEL=FACTOR`, read.
#include "trace_what_if.hpp"

#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace brigade::cli {

trace::what_if parse_what_if(const std::string& text) {
  const std::size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0)
    throw std::runtime_error("--what-if " + text + ": expected LABEL=FACTOR, e.g. decode=0.5");
  const std::string number = text.substr(eq + 1);
  char* end = nullptr;
  const double f = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(f) || f < 0)
    throw std::runtime_error("--what-if " + text + ": the factor " + number +
                             " is not a finite number >= 0");
  return {text.substr(0, eq), f};
}

}  // namespace brigade::cli
