// The message of the std::invalid_argument a call throws, for tests that check what an error
// names.
#pragma once

#include <stdexcept>
#include <string>

namespace brigade::testing {

/// What f() throws as std::invalid_argument, or "<no exception>".
inline std::string error_of(auto&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "<no exception>";
}

}  // namespace brigade::testing
