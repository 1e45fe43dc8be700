// `brigade scale` saying how far to trust it: a warning for runs too short to time, the spread
// of the repetitions beside each speedup, and progress kept off stdout.
#include "cli_run.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace {

using namespace brigade_cli_test;
using nlohmann::json;

json parse_stdout(const outcome& o) {
  EXPECT_EQ(o.status, 0) << o.err;
  json j = json::parse(o.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << o.out;
  return j;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(cli_scale_trust, runs_too_short_to_time_are_warned_about) {
  // Before: `true` takes about a millisecond, and a Karp-Flatt figure came out all the same.
  const outcome text = run_brigade({"scale", "--max-threads", "1", "--reps", "2", "--", "true"});
  EXPECT_EQ(text.status, 0) << text.err;
  EXPECT_TRUE(has(text.err, "brigade: warning: runs are too short to time")) << text.err;
  EXPECT_TRUE(has(text.err, "raise the program's input")) << text.err;
  EXPECT_FALSE(has(text.out, "warning")) << text.out;

  const json j = parse_stdout(
      run_brigade({"scale", "--max-threads", "1", "--reps", "2", "--json", "--", "true"}));
  ASSERT_EQ(j.at("warnings").size(), 1U) << j.dump();
  EXPECT_TRUE(has(j.at("warnings")[0].get<std::string>(), "too short to time"));
}

TEST(cli_scale_trust, a_run_of_150_ms_is_long_enough) {
  const outcome o =
      run_brigade({"scale", "--max-threads", "1", "--reps", "1", "--json", "--", "sleep", "0.15"});
  const json j = parse_stdout(o);
  EXPECT_EQ(j.at("warnings"), json::array()) << j.dump();
  EXPECT_FALSE(has(o.err, "warning")) << o.err;
}

TEST(cli_scale_trust, json_has_the_spread_of_the_repetitions) {
  const json j = parse_stdout(
      run_brigade({"scale", "--max-threads", "2", "--reps", "3", "--json", "--", "true"}));
  for (const char* field : {"min_seconds", "max_seconds", "spread"})
    ASSERT_EQ(j.at(field).size(), 2U) << field;
  for (std::size_t i = 0; i < 2; ++i) {
    const double lo = j.at("min_seconds")[i], hi = j.at("max_seconds")[i];
    const double median = j.at("seconds")[i], spread = j.at("spread")[i];
    EXPECT_LE(lo, median);
    EXPECT_LE(median, hi);
    EXPECT_NEAR(spread, (hi - lo) / median, 1e-9);
  }
}

TEST(cli_scale_trust, the_table_shows_the_spread_beside_the_speedup) {
  const outcome o = run_brigade({"scale", "--max-threads", "2", "--reps", "2", "--", "true"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_TRUE(has(o.out, "speedup  spread")) << o.out;
  EXPECT_TRUE(has(o.out, "spread: (slowest - fastest) / median of the 2 runs")) << o.out;
}

TEST(cli_scale_trust, progress_goes_to_stderr_and_never_into_json) {
  const outcome o = run_brigade(
      {"scale", "--max-threads", "2", "--reps", "2", "--json", "--progress", "--", "true"});
  const json j = parse_stdout(o);  // stdout is the JSON and nothing else
  EXPECT_EQ(j.at("threads"), json::array({1, 2}));
  EXPECT_TRUE(has(o.err, "scale: 1 of 2 threads, run 1 of 2: ")) << o.err;
  EXPECT_TRUE(has(o.err, "; 3 runs left, about ")) << o.err;
  EXPECT_TRUE(has(o.err, "scale: 2 of 2 threads, run 2 of 2: ")) << o.err;
  EXPECT_TRUE(has(o.err, "; 0 runs left\n")) << o.err;

  // Without --progress, and stderr not a terminal: no progress at all.
  const outcome quiet =
      run_brigade({"scale", "--max-threads", "1", "--reps", "1", "--json", "--", "sleep", "0.15"});
  EXPECT_EQ(quiet.status, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
}

}  // namespace
