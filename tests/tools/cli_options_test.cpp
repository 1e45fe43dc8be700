// The options of the brigade command line: floating-point ones take finite numbers only, whole
// numbers decimal digits only (read as decimal).
#include "cli_run.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

TEST(cli_options, whole_number_options_take_decimal_digits_only) {
  struct bad {
    std::vector<std::string> args;
    std::string names;
  };
  // CLI11 reads unsigned numbers with strtoull in base 0 and lets a minus sign wrap around:
  // "0x10" was 16, "-18446744073709551596" 20, "+3" 3, each accepted and run.
  const std::string not_whole = " is not a whole number in decimal digits";
  const std::vector<bad> cases = {
      {{"kitchen", "--chefs", "0x10"}, "--chefs: 0x10" + not_whole},
      {{"kitchen", "--width", "-18446744073709551596"},
       "--width: -18446744073709551596" + not_whole},
      {{"kitchen", "--dishes", " 4"}, "--dishes:  4" + not_whole},
      {{"trace", "x.json", "--predict", "1,0x2"}, "--predict: 0x2" + not_whole},
      {{"trace", "x.json", "--max-bytes", "-18446744073709551615"},
       "--max-bytes: -18446744073709551615" + not_whole},
      {{"trace", "x.json", "--max-bytes", "0x10KiB"}, "--max-bytes: 0x10KiB" + not_whole},
      {{"scale", "--max-threads", "0x2", "--", "true"}, "--max-threads: 0x2" + not_whole},
      {{"scale", "--reps", "+3", "--", "true"}, "--reps: +3" + not_whole},
  };
  for (const bad& c : cases) {
    SCOPED_TRACE(c.names);
    const outcome o = run_brigade(c.args);
    expect_one_line_error(o, c.names);
    EXPECT_EQ(o.status, 2);  // a usage error, before anything ran
  }
  // Decimal digits (and a unit for --max-bytes) pass the parse, a leading zero included (octal
  // before): the missing file is the error.
  const outcome o = run_brigade({"trace", "/nonexistent/x.json", "--max-bytes", "016 KiB",
                                 "--width", "080", "--predict", "01,2"});
  expect_one_line_error(o, "/nonexistent/x.json");
  EXPECT_EQ(o.status, 1);
}

TEST(cli_options, a_leading_zero_is_still_decimal) {
  // "010" was octal to CLI11: 8 dishes.
  const fs::path dir = scratch();
  const outcome o = run_brigade({"kitchen", "--dishes", "010", "--cpu-ms", "0", "--wait-ms", "0",
                                 "--json", "--out", dir.string()});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(nlohmann::json::parse(o.out).at("dishes"), 10) << o.out;
}

}  // namespace
