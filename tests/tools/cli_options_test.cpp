// The options of the brigade command line: floating-point ones take finite numbers only.
#include "cli_run.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace brigade_cli_test;

TEST(cli_options, floating_point_options_refuse_what_is_not_finite) {
  struct bad {
    std::vector<std::string> args;
    std::string names;
  };
  const std::vector<bad> cases = {
      {{"kitchen", "--cpu-ms", "nan"}, "--cpu-ms: nan is not a finite number"},
      {{"kitchen", "--cpu-ms", "-nan"}, "--cpu-ms: -nan is not a finite number"},
      {{"kitchen", "--wait-ms", "inf"}, "--wait-ms: inf is not a finite number"},
      {{"kitchen", "--wait-ms", "1e999"}, "--wait-ms: 1e999 is not a finite number"},
      {{"kitchen", "--cpu-ms", "-1"}, "--cpu-ms"},
      {{"kitchen", "--cpu-ms", "fast"}, "--cpu-ms: fast is not a number"},
      {{"scale", "--timeout", "nan", "--", "true"}, "--timeout: nan is not a finite number"},
      {{"scale", "--timeout", "infinity", "--", "true"},
       "--timeout: infinity is not a finite number"},
      {{"scale", "--timeout", "0", "--", "true"}, "--timeout"},
      {{"scale", "--timeout", "-5", "--", "true"}, "--timeout"},
  };
  for (const bad& c : cases) {
    SCOPED_TRACE(c.args[1] + " " + c.args[2]);
    // nan passed CLI::Range before (every comparison with NaN is false) and reached the kitchen.
    const outcome o = run_brigade(c.args);
    expect_one_line_error(o, c.names);
    EXPECT_EQ(o.status, 2);  // a usage error, before anything ran
  }
}

}  // namespace
