// A team of chefs: the same Mandelbrot image computed by one chef, then by the whole pool.
//
// Rows near the set take hundreds of times longer than rows far from it, so a static split
// would leave chefs idle; parallel_for splits lazily and keeps everyone busy. The program prints
// both times, the speedup, and a small picture of the image, and checks the results agree.
//
//   team_of_chefs [--size N] [--iterations K]
#include <brigade/brigade.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct options {
  int size = 2048;
  int iterations = 256;
};

int positive(const char* flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v <= 0 || v > 1 << 16)
    throw std::invalid_argument(std::string(flag) +
                                " expects a positive integer up to 65536, got \"" + text + "\"");
  return static_cast<int>(v);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--size") == 0 && has_value) {
      o.size = positive("--size", argv[++i]);
    } else if (std::strcmp(argv[i], "--iterations") == 0 && has_value) {
      o.iterations = positive("--iterations", argv[++i]);
    } else {
      throw std::invalid_argument(std::string("unknown or incomplete argument \"") + argv[i] +
                                  "\" (usage: team_of_chefs [--size N] [--iterations K])");
    }
  }
  return o;
}

// Escape-time iterations for every pixel of row y.
void mandelbrot_row(const options& o, int y, std::vector<int>& image) {
  const double ci = -1.25 + 2.5 * y / o.size;
  for (int x = 0; x < o.size; ++x) {
    const double cr = -2.0 + 2.5 * x / o.size;
    double zr = 0, zi = 0;
    int k = 0;
    while (k < o.iterations && zr * zr + zi * zi <= 4.0) {
      const double t = zr * zr - zi * zi + cr;
      zi = 2 * zr * zi + ci;
      zr = t;
      ++k;
    }
    image[static_cast<std::size_t>(y) * static_cast<std::size_t>(o.size) +
          static_cast<std::size_t>(x)] = k;
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void draw(const options& o, const std::vector<int>& image) {
  const char* shades = " .:-=+*#%@";
  const int cols = 64, rows = 24;
  for (int r = 0; r < rows; ++r) {
    std::string line;
    for (int c = 0; c < cols; ++c) {
      const auto y = static_cast<std::size_t>(r * o.size / rows);
      const auto x = static_cast<std::size_t>(c * o.size / cols);
      const int k = image[y * static_cast<std::size_t>(o.size) + x];
      line += shades[k >= o.iterations ? 9 : k * 9 / o.iterations];
    }
    std::printf("  %s\n", line.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) try {
  const options o = parse(argc, argv);
  const auto pixels = static_cast<std::size_t>(o.size) * static_cast<std::size_t>(o.size);
  std::vector<int> serial(pixels), parallel(pixels);

  auto t0 = std::chrono::steady_clock::now();
  for (int y = 0; y < o.size; ++y) mandelbrot_row(o, y, serial);
  const double one_chef = seconds_since(t0);

  const std::size_t chefs = brigade::pool::global().size();  // start the pool outside the timing
  t0 = std::chrono::steady_clock::now();
  brigade::parallel_for(0, static_cast<std::size_t>(o.size),
                        [&](std::size_t y) { mandelbrot_row(o, static_cast<int>(y), parallel); });
  const double team = seconds_since(t0);

  if (serial != parallel) {
    std::fprintf(stderr, "error: the team's image differs from the single chef's\n");
    return 1;
  }
  draw(o, parallel);
  std::printf("\nMandelbrot %dx%d, %d iterations, on a %u-core machine\n", o.size, o.size,
              o.iterations, std::thread::hardware_concurrency());
  std::printf("  one chef (serial loop)        %8.3f s\n", one_chef);
  std::printf("  a team of %2zu (parallel_for)   %8.3f s   speedup %.2fx\n", chefs, team,
              one_chef / team);
  std::printf("Set BRIGADE_THREADS=N to change the team's size.\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "team_of_chefs: %s\n", e.what());
  return 2;
}
