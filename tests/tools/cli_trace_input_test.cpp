// `brigade trace` on endless or huge input: devices, files and pipes over --max-bytes.
#include "cli_run.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace {

using namespace brigade_cli_test;

// A pipe holding `text` (smaller than the pipe's buffer), its write end closed: the read end.
int pipe_holding(const std::string& text) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  EXPECT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fds[1]);
  return fds[0];
}

TEST(cli_trace_input, a_character_device_is_refused_before_reading) {
  // Unbounded before: /dev/zero was read until memory ran out.
  const outcome o = run_brigade({"trace", "/dev/zero"});
  expect_one_line_error(o, "/dev/zero: a character device");
}

TEST(cli_trace_input, a_file_over_max_bytes_is_refused_naming_the_limit) {
  const fs::path p = write_file(small_trace("main"));
  const outcome o = run_brigade({"trace", p.string(), "--max-bytes", "100"});
  expect_one_line_error(o, p.string() + ": larger than the limit of 100 bytes");
  EXPECT_NE(o.err.find("--max-bytes"), std::string::npos) << o.err;
  // The same file under a limit with a unit is read.
  EXPECT_EQ(run_brigade({"trace", p.string(), "--max-bytes", "1KiB"}).status, 0);
}

TEST(cli_trace_input, the_default_limit_is_one_gib) {
  // A sparse file a byte over 1 GiB: refused by its size, without reading it.
  const fs::path p = scratch() / "huge.json";
  { std::ofstream touch(p); }
  fs::resize_file(p, (std::uintmax_t{1} << 30) + 1);
  expect_one_line_error(run_brigade({"trace", p.string()}),
                        "larger than the limit of 1073741824 bytes (1 GiB)");
}

TEST(cli_trace_input, a_pipe_is_read_and_bounded_by_the_same_limit) {
  const std::string text = small_trace("main");
  const int in = pipe_holding(text);
  const outcome ok = run_brigade({"trace", "/dev/stdin", "--width", "60"}, stdin_from(in));
  close(in);
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.out.find("chop"), std::string::npos) << ok.out;

  const int big = pipe_holding(text);
  const outcome refused =
      run_brigade({"trace", "/dev/stdin", "--max-bytes", "64"}, stdin_from(big));
  close(big);
  expect_one_line_error(refused, "/dev/stdin: larger than the limit of 64 bytes");
}

TEST(cli_trace_input, max_bytes_must_be_a_size) {
  for (const char* bad : {"0", "-1", "lots", "nan"})
    expect_one_line_error(run_brigade({"trace", "x.json", "--max-bytes", bad}), "--max-bytes");
}

}  // namespace
