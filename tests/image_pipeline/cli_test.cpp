// The program as its users run it: a child process on directories of small generated images.
#include "codec.hpp"
#include "ops.hpp"
#include "test_images.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using imgp::testing::make_image;

struct result {
  int status = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

class image_cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* t = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("image_pipeline_test." + std::to_string(::getpid()) + "." + t->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "in");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::vector<std::uint8_t>& bytes) {
    std::ofstream(dir_ / "in" / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  void write_image(const std::string& name, int w, int h, int c, std::uint32_t seed) {
    imgp::file_format f{};
    ASSERT_TRUE(imgp::format_of_name(name, f));
    write(name, imgp::encode(make_image(w, h, c, seed), f));
  }

  // Runs the program with env (e.g. "BRIGADE_THREADS=2") and args, through the shell.
  result run(const std::string& env, const std::string& args) {
    const fs::path err = dir_ / "stderr";
    const std::string cmd =
        "cd '" + dir_.string() + "' && " + env + " " IMAGE_PIPELINE_BINARY " " + args + " 2>stderr";
    result r;
    std::FILE* p = ::popen(cmd.c_str(), "r");
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int status = ::pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.err = slurp(err);
    return r;
  }

  fs::path dir_;
};

TEST_F(image_cli, output_is_bit_identical_at_one_and_two_threads_and_equals_the_library) {
  write_image("a.png", 300, 200, 3, 1);
  write_image("b.jpg", 257, 130, 3, 2);
  write_image("c.png", 90, 70, 4, 3);
  write_image("d.JPEG", 64, 64, 1, 4);
  write_image("e.png", 520, 90, 2, 5);
  const std::string ops = "blur:1.5,sharpen,gray,resize:0.7";
  const result one = run("BRIGADE_THREADS=1", "--in in --out one --ops " + ops);
  const result two = run("BRIGADE_THREADS=2", "--in in --out two --ops " + ops + " --in-flight 3");
  ASSERT_EQ(one.status, 0) << one.err;
  ASSERT_EQ(two.status, 0) << two.err;
  for (const char* name : {"a.png", "b.jpg", "c.png", "d.JPEG", "e.png"}) {
    const std::string bytes = slurp(dir_ / "one" / name);
    EXPECT_FALSE(bytes.empty()) << name;
    EXPECT_EQ(bytes, slurp(dir_ / "two" / name)) << name;
    imgp::file_format f{};
    imgp::format_of_name(name, f);
    const std::string in = slurp(dir_ / "in" / name);
    const std::vector<std::uint8_t> expected = imgp::encode(
        imgp::apply_all(imgp::decode({reinterpret_cast<const std::uint8_t*>(in.data()), in.size()}),
                        imgp::parse_ops(ops)),
        f);
    EXPECT_TRUE(bytes == std::string(expected.begin(), expected.end())) << name;
  }
  EXPECT_NE(one.out.find("5 image(s)"), std::string::npos) << one.out;
}

TEST_F(image_cli, frames_are_written_in_frame_number_order) {
  // Early frames are the largest, so that later ones would finish first without --frames.
  for (int i = 1; i <= 12; ++i)
    write_image("frame" + std::to_string(i) + ".png", 400 - 25 * i, 120, 3, std::uint32_t(i));
  const result r = run("BRIGADE_THREADS=2", "--in in --out out --ops blur:2 --frames -v");
  ASSERT_EQ(r.status, 0) << r.err;
  std::string expected;
  for (int i = 1; i <= 12; ++i) expected += "wrote out/frame" + std::to_string(i) + ".png\n";
  EXPECT_EQ(r.out.substr(0, expected.size()), expected);
}

TEST_F(image_cli, frames_need_a_number_in_every_name_and_no_number_twice) {
  write_image("f1.png", 8, 8, 3, 1);
  write_image("cover.png", 8, 8, 3, 2);
  result r = run("", "--in in --out out --ops gray --frames");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "image_pipeline: --frames: \"cover.png\" has no frame number (digits in its name)\n");
  fs::remove(dir_ / "in" / "cover.png");
  write_image("f01.png", 8, 8, 3, 2);
  r = run("", "--in in --out out --ops gray --frames");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "image_pipeline: --frames: \"f01.png\" and \"f1.png\" are both frame 1\n");
}

TEST_F(image_cli, a_corrupt_file_is_named_and_the_others_are_written) {
  write_image("good.png", 40, 30, 3, 1);
  write_image("good.jpg", 40, 30, 3, 2);
  std::vector<std::uint8_t> cut = imgp::encode(make_image(40, 30, 3), imgp::file_format::png);
  cut.resize(cut.size() / 2);
  write("cut.png", cut);
  write("text.jpg", {'n', 'o', 't', ' ', 'a', ' ', 'j', 'p', 'e', 'g'});
  write("notes.txt", {'i', 'g', 'n', 'o', 'r', 'e', 'd'});
  const result r = run("BRIGADE_THREADS=2", "--in in --out out --ops sharpen --json");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("image_pipeline: in/cut.png: PNG: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("image_pipeline: in/text.jpg: neither a PNG nor a JPEG file\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "good.png"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "good.jpg"));
  EXPECT_FALSE(fs::exists(dir_ / "out" / "cut.png"));
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("images"), 2);
  EXPECT_EQ(j.at("failed"), 2);
}

TEST_F(image_cli, json_has_the_promised_fields) {
  write_image("a.png", 100, 50, 3, 1);
  const result r = run("", "--in in --out out --ops resize:0.5 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("images"), 1);
  EXPECT_DOUBLE_EQ(j.at("megapixels").get<double>(), 0.005);
  EXPECT_GE(j.at("seconds").get<double>(), 0.0);
  EXPECT_GT(j.at("peak_rss_mib").get<double>(), 0.0);
  EXPECT_EQ(imgp::decode([&] {
              const std::string s = slurp(dir_ / "out" / "a.png");
              return std::vector<std::uint8_t>(s.begin(), s.end());
            }())
                .width,
            50);
}

TEST_F(image_cli, bad_flags_are_one_line_and_exit_2) {
  write_image("a.png", 10, 10, 3, 1);
  result r = run("", "--in in --out out --ops blur:2,swirl");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "image_pipeline: --ops: unknown operation \"swirl\" (known: blur:SIGMA, "
            "sharpen, gray, resize:FACTOR)\n");
  r = run("", "--in in --out out --ops blur:x");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "image_pipeline: --ops: \"blur:x\": sigma must be a number in (0, 50]\n");
  r = run("", "--in missing --out out --ops gray");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("missing"), std::string::npos) << r.err;
  std::ofstream(dir_ / "plain_file") << "x";  // a directory under a file: unwritable, even as root
  r = run("", "--in in --out plain_file/out --ops gray");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "image_pipeline: --out \"plain_file/out\": cannot write there: Not a directory\n");
}

TEST_F(image_cli, help_and_trace) {
  result r = run("", "--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--frames"), std::string::npos);
  write_image("a.png", 300, 100, 3, 1);
  r = run("BRIGADE_THREADS=2", "--in in --out out --ops blur:1 --trace run.json");
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(fs::exists(dir_ / "run.json"));
  if (std::string(BRIGADE_CLI_BINARY).empty()) GTEST_SKIP() << "tools/brigade not built";
  const int status = std::system(
      (BRIGADE_CLI_BINARY " trace '" + (dir_ / "run.json").string() + "' > /dev/null").c_str());
  EXPECT_EQ(status, 0);
}

}  // namespace
