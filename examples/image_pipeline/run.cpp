// The pipeline over files. Items carry their error instead of throwing: one bad file is
// reported and skipped, and the pipeline goes on with the others.
#include "run.hpp"

#include "codec.hpp"

#include <brigade/par/pipeline.hpp>
#include <brigade/trace/trace.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>

namespace imgp {
namespace fs = std::filesystem;
namespace {

struct item {
  const fs::path* file = nullptr;
  std::vector<std::uint8_t> bytes;  // the file read, then the file to write
  image img;
  double megapixels = 0;  // of the image read
  std::string error;      // non-empty: skip the remaining stages
};

std::string errno_text(const char* what, const fs::path& p) {
  return std::string(what) + " " + p.string() + ": " + std::strerror(errno);
}

std::vector<std::uint8_t> read_file(const fs::path& p) {
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error(errno_text("cannot open", p));
  std::vector<std::uint8_t> bytes;
  std::uint8_t buf[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw std::runtime_error(errno_text("cannot read", p));
  return bytes;
}

void write_file(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
  const fs::path tmp = p.parent_path() / ("." + p.filename().string() + ".tmp");
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error(errno_text("cannot create", tmp));
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  if (std::fclose(f) != 0 || !ok) {
    const std::string why = errno_text("cannot write", tmp);
    fs::remove(tmp);
    throw std::runtime_error(why);
  }
  fs::rename(tmp, p);
}

// Runs one stage's work on an item unless it already failed; an exception becomes its error.
template <class F>
item step(const char* label, item it, F&& f) {
  if (!it.error.empty()) return it;
  try {
    brigade::trace::named(label, [&] { f(it); })();
  } catch (const std::exception& e) {
    it.error = e.what();
  }
  return it;
}

std::optional<unsigned long long> frame_number(const fs::path& p) {
  const std::string stem = p.stem().string();
  const auto last =
      std::find_if(stem.rbegin(), stem.rend(), [](char c) { return c >= '0' && c <= '9'; });
  if (last == stem.rend()) return std::nullopt;
  const auto first = std::find_if(last, stem.rend(), [](char c) { return c < '0' || c > '9'; });
  const std::string digits(first.base(), last.base());
  if (digits.size() > 18)
    throw std::invalid_argument("--frames: \"" + p.filename().string() +
                                "\": frame number too large");
  return std::stoull(digits);
}

}  // namespace

std::vector<fs::path> list_inputs(const fs::path& dir, bool frames) {
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    file_format f;
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name[0] != '.' && format_of_name(name, f)) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (!frames) return files;
  std::map<unsigned long long, fs::path> by_number;
  for (const fs::path& p : files) {
    const std::optional<unsigned long long> n = frame_number(p);
    if (!n)
      throw std::invalid_argument("--frames: \"" + p.filename().string() +
                                  "\" has no frame number (digits in its name)");
    const auto [at, fresh] = by_number.emplace(*n, p);
    if (!fresh)
      throw std::invalid_argument("--frames: \"" + at->second.filename().string() + "\" and \"" +
                                  p.filename().string() + "\" are both frame " +
                                  std::to_string(*n));
  }
  files.clear();
  for (auto& [n, p] : by_number) files.push_back(std::move(p));
  return files;
}

run_report run(const std::vector<fs::path>& files, const run_options& o) {
  run_report report;
  std::size_t next = 0;
  auto source = [&]() -> std::optional<item> {
    if (next == files.size()) return std::nullopt;
    item it;
    it.file = &files[next++];
    return it;
  };
  using brigade::stage;
  using brigade::stage_mode;
  brigade::pipeline p(
      o.in_flight, source,
      // One file at a time, in order: the disk sees one sequential reader.
      stage(stage_mode::serial_in_order,
            [](item it) {
              return step("read", std::move(it), [](item& i) { i.bytes = read_file(*i.file); });
            }),
      stage(stage_mode::parallel,
            [](item it) {
              return step("decode", std::move(it), [](item& i) {
                i.img = decode(i.bytes);
                i.bytes = {};
                i.megapixels = double(i.img.width) * i.img.height / 1e6;
              });
            }),
      stage(stage_mode::parallel,
            [&o](item it) {
              return step("filter", std::move(it),
                          [&o](item& i) { i.img = apply_all(std::move(i.img), o.ops); });
            }),
      stage(stage_mode::parallel,
            [&o](item it) {
              return step("encode", std::move(it), [&o](item& i) {
                file_format f = file_format::png;
                format_of_name(i.file->filename().string(), f);
                i.bytes = encode(i.img, f, o.jpeg_quality);
                i.img = {};
              });
            }),
      // Frames are written in frame order; other files as soon as they are ready.
      stage(o.frames ? stage_mode::serial_in_order : stage_mode::serial_out_of_order, [&](item it) {
        it = step("write", std::move(it),
                  [&o](item& i) { write_file(o.out / i.file->filename(), i.bytes); });
        if (!it.error.empty()) {
          ++report.failed;
          std::fprintf(stderr, "image_pipeline: %s: %s\n", it.file->c_str(), it.error.c_str());
          return;
        }
        ++report.images;
        report.megapixels += it.megapixels;
        if (o.verbose) std::printf("wrote %s\n", (o.out / it.file->filename()).c_str());
      }));
  p.run();
  return report;
}

}  // namespace imgp
