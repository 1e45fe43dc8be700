// `brigade trace` on names in a trace that would drive the terminal, or are not UTF-8.
#include "cli_run.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace {

using namespace brigade_cli_test;

TEST(cli_trace_text, control_characters_in_names_never_reach_the_terminal_raw) {
  // JSON's "\u001b[31m": a raw ESC in the thread name and in the label once parsed.
  const fs::path p = write_file(small_trace("evil\x1b[31m", "chop\x1b]0;pwned\x07"));
  const outcome text = run_brigade({"trace", p.string(), "--width", "80"});
  EXPECT_EQ(text.status, 0) << text.err;
  EXPECT_EQ(text.out.find('\x1b'), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find('\x07'), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("evil\\x1b[31m"), std::string::npos) << text.out;  // in the summary

  const fs::path html = p.parent_path() / "page.html";
  const outcome json = run_brigade({"trace", p.string(), "--json", "--html", html.string()});
  EXPECT_EQ(json.status, 0) << json.err;
  EXPECT_EQ(json.out.find('\x1b'), std::string::npos) << json.out;
  EXPECT_EQ(nlohmann::json::parse(json.out).at("lanes")[0].at("name"), "evil\x1b[31m");
  EXPECT_EQ(slurp(html).find('\x1b'), std::string::npos);

  // Text from the trace in an error message is written out the same way.
  const outcome err =
      run_brigade({"trace", write_file(small_trace("main", "x", "\x1b[2J")).string()});
  expect_one_line_error(err, "otherData.producer is \"\\x1b[2J\"");
  EXPECT_EQ(err.err.find('\x1b'), std::string::npos) << err.err;
}

TEST(cli_trace_text, json_output_survives_names_that_are_not_utf8) {
  std::string text = small_trace("name-XX");
  text.replace(text.find("XX"), 2, "\xff\xfe");
  const outcome o = run_brigade({"trace", write_file(text).string(), "--json"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_FALSE(nlohmann::json::parse(o.out, nullptr, false).is_discarded()) << o.out;
}

}  // namespace
