// The pipeline over files: read -> decode -> filter -> encode -> write, a bounded number of
// images in flight.
#pragma once

#include "ops.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace imgp {

struct run_options {
  std::filesystem::path out;
  std::vector<operation> ops;
  bool frames = false;        // write in frame order (the order of the list given to run)
  std::size_t in_flight = 4;  // images between reading and writing, at most
  bool verbose = false;       // a line on stdout per file written, in the order written
  int jpeg_quality = 90;
};

struct run_report {
  std::size_t images = 0;  // written
  std::size_t failed = 0;  // reported on stderr, one line each
  double megapixels = 0;   // of the images read
};

/// The PNG and JPEG files of dir (by extension, any case), sorted by name; with frames, by the
/// frame number: the last run of digits in the name before the extension.
/// Errors: std::invalid_argument naming the file (frames: no number, a number used twice),
/// std::filesystem::filesystem_error when dir cannot be listed.
std::vector<std::filesystem::path> list_inputs(const std::filesystem::path& dir, bool frames);

/// Processes files on the ambient pool and writes each result to o.out under its own name
/// (through a hidden temporary file and a rename, so a name never shows a partial image). A
/// file that cannot be read, decoded, processed or written is reported on stderr and skipped.
run_report run(const std::vector<std::filesystem::path>& files, const run_options& o);

}  // namespace imgp
