// Whole files in and out, for the tests that build a --root tree and compare what was served.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace web_test {

inline void write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace web_test
