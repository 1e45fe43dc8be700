// The mandelbrot workload for the harness: the image, the serial reference, the checks.
#include "mandelbrot/mandelbrot.hpp"

#include <algorithm>
#include <memory>
#include <string>

namespace bench::mandelbrot {

group make(const config& c) {
  struct state {
    spec s;
    image expected;
    image got;
  };
  auto st = std::make_shared<state>();
  st->s = c.quick ? spec{512, 256} : spec{4096, 256};
  const std::size_t pixels = static_cast<std::size_t>(st->s.size) * st->s.size;
  st->expected.assign(pixels, 0);
  st->got.assign(pixels, 0);
  run_serial(st->s, st->expected);

  auto entry = [st](std::string impl, void (*fn)(const spec&, image&, int)) {
    return impl_run{std::move(impl), [st, fn](int threads) { fn(st->s, st->got, threads); },
                    [st] { std::fill(st->got.begin(), st->got.end(), 0xffff); },
                    [st]() -> std::string {
                      const auto diff =
                          std::mismatch(st->got.begin(), st->got.end(), st->expected.begin());
                      if (diff.first == st->got.end()) return "";
                      const auto i = static_cast<std::size_t>(diff.first - st->got.begin());
                      const auto w = static_cast<std::size_t>(st->s.size);
                      return "pixel (" + std::to_string(i % w) + ", " + std::to_string(i / w) +
                             ") = " + std::to_string(*diff.first) + ", expected " +
                             std::to_string(*diff.second);
                    }};
  };
  const std::string n = std::to_string(st->s.size);
  series s{"mandelbrot",
           n + "x" + n + ", " + std::to_string(st->s.iterations) + " iterations, rows",
           {entry("brigade", run_brigade), entry("tbb", run_tbb), entry("omp", run_omp),
            entry("serial", [](const spec& sp, image& img, int) { run_serial(sp, img); })}};

  group g;
  g.all.push_back(std::move(s));
  g.annotate = [pixels](std::vector<result>& rs) {
    for (result& r : rs)
      r.extra.emplace_back("mpixels_per_s", static_cast<double>(pixels) / r.median / 1e6);
  };
  return g;
}

}  // namespace bench::mandelbrot
