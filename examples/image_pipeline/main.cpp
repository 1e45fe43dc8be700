// image_pipeline: applies a chain of filters to every PNG and JPEG of a directory. Here: the
// flags, the checks that fail fast (one line, exit 2), the run, and the summary or JSON.
#include "run.hpp"

#include <brigade/pool/pool.hpp>
#include <brigade/trace/trace.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

namespace fs = std::filesystem;

namespace {

struct flags {
  std::string in, out, ops, trace;
  bool json = false;
  imgp::run_options run;
};

std::optional<int> parse_flags(int argc, char** argv, flags& f) {
  CLI::App app{
      "Applies a chain of operations to every PNG and JPEG file in --in and writes the results "
      "under the same names in --out. Files go through a brigade pipeline (read, decode, filter, "
      "encode, write; decoding, filtering and encoding in parallel), and each filter runs "
      "parallel_for over tiles. The output is bit-identical at every thread count "
      "(BRIGADE_THREADS). Exit status: 0, 1 when a file failed (each named on stderr; the others "
      "are written), 2 for bad flags.",
      "image_pipeline"};
  app.add_option("--in", f.in, "directory of input images (.png, .jpg, .jpeg)")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--out", f.out, "directory for the results (created if missing)")->required();
  app.add_option("--ops", f.ops,
                 "operations in order, comma-separated: blur:SIGMA (0 < SIGMA <= 50), sharpen, "
                 "gray, resize:FACTOR (0 < FACTOR <= 16); e.g. blur:2,sharpen,gray,resize:0.5")
      ->required();
  app.add_flag("--frames", f.run.frames,
               "the files are numbered frames of a video: order them by the last number in "
               "their names (frame2 before frame10) and write them in that order");
  app.add_option("--in-flight", f.run.in_flight,
                 "images in memory at once, at most (0: twice the threads)")
      ->check(CLI::Range(0, 4096));
  app.add_option("--quality", f.run.jpeg_quality, "JPEG quality of the results")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_flag("--json", f.json, "print one JSON object on stdout instead of the summary");
  app.add_flag("-v,--verbose", f.run.verbose, "print a line per file written, as written");
  app.add_option("--trace", f.trace,
                 "record a brigade trace into this file (`brigade trace FILE`)");
  f.run.in_flight = 0;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help: the usage, on stdout
    std::fprintf(stderr, "image_pipeline: %s\n", e.what());
    return 2;
  }
  return std::nullopt;
}

// The output directory exists (or is created) and takes a file, else one line and false.
bool check_out_dir(const fs::path& out, const fs::path& in) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (!ec && !fs::is_directory(out)) ec = std::make_error_code(std::errc::not_a_directory);
  const fs::path probe = out / ".image_pipeline.probe";
  if (!ec) {
    if (std::FILE* f = std::fopen(probe.c_str(), "wb")) {
      std::fclose(f);
      fs::remove(probe, ec);
    } else {
      ec = std::error_code(errno, std::generic_category());
    }
  }
  if (ec) {
    std::fprintf(stderr, "image_pipeline: --out \"%s\": cannot write there: %s\n", out.c_str(),
                 ec.message().c_str());
    return false;
  }
  if (fs::equivalent(out, in)) {
    std::fprintf(stderr, "image_pipeline: --out \"%s\" is --in: refusing to overwrite the inputs\n",
                 out.c_str());
    return false;
  }
  return true;
}

double peak_rss_mib() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  flags f;
  if (const std::optional<int> code = parse_flags(argc, argv, f)) return *code;
  std::vector<fs::path> files;
  std::size_t threads = 0;
  try {
    f.run.ops = imgp::parse_ops(f.ops);
    f.run.out = f.out;
    if (!check_out_dir(f.run.out, f.in)) return 2;
    files = imgp::list_inputs(f.in, f.run.frames);
    threads = brigade::pool::global().size();
    if (f.run.in_flight == 0) f.run.in_flight = 2 * threads;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "image_pipeline: %s\n", e.what());
    return 2;
  }
  try {
    if (!f.trace.empty()) brigade::trace::start();
    const auto start = std::chrono::steady_clock::now();
    const imgp::run_report r = imgp::run(files, f.run);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!f.trace.empty()) brigade::trace::stop(f.trace);
    if (f.json) {
      const nlohmann::json j = {{"images", r.images},
                                {"failed", r.failed},
                                {"megapixels", r.megapixels},
                                {"seconds", seconds},
                                {"peak_rss_mib", peak_rss_mib()},
                                {"threads", threads},
                                {"in_flight", f.run.in_flight},
                                {"ops", f.ops}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf(
          "image_pipeline: %zu image(s), %.1f megapixels in %.3f s (%.1f MP/s) on %zu "
          "thread(s), %zu in flight at most, peak RSS %.0f MiB",
          r.images, r.megapixels, seconds, seconds > 0 ? r.megapixels / seconds : 0.0, threads,
          f.run.in_flight, peak_rss_mib());
      if (r.failed > 0) std::printf("; %zu failed (see above)", r.failed);
      std::printf("\n");
    }
    return r.failed > 0 ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "image_pipeline: %s\n", e.what());
    return 1;
  }
}
