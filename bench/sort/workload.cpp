// The sort workload for the harness: random keys, a fresh copy before every run, and a check
// against std::sort's result (reversed for the std::greater<> series).
#include "sort/sort.hpp"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>

namespace bench::sort {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

group make(const config& c) {
  struct state {
    keys input, sorted, got;
  };
  auto st = std::make_shared<state>();
  const std::size_t n = c.quick ? 1'000'000 : 50'000'000;
  std::uint64_t seed = 42;
  st->input.resize(n);
  for (std::uint64_t& k : st->input) k = splitmix64(seed);
  st->sorted = st->input;
  run_serial(st->sorted);
  st->got.resize(n);

  auto entry = [st](std::string impl, void (*fn)(keys&, int), bool descending) {
    return impl_run{std::move(impl), [st, fn](int threads) { fn(st->got, threads); },
                    [st] { std::copy(st->input.begin(), st->input.end(), st->got.begin()); },
                    [st, descending]() -> std::string {
                      const bool ok = descending ? std::equal(st->got.begin(), st->got.end(),
                                                              st->sorted.rbegin())
                                                 : st->got == st->sorted;
                      return ok ? "" : "not the sorted input";
                    }};
  };
  const std::string input = std::to_string(n) + " random uint64";

  group g;
  g.all.push_back(series{"sort",
                         input,
                         {entry("brigade", run_brigade, false), entry("tbb", run_tbb, false),
                          entry(
                              "serial", [](keys& v, int) { run_serial(v); }, false)}});
  g.all.push_back(
      series{"sort_greater",
             input + ", std::greater<>",
             {entry("brigade", run_brigade_greater, true), entry("tbb", run_tbb_greater, true)}});
  g.annotate = [n](std::vector<result>& rs) {
    for (result& r : rs)
      r.extra.emplace_back("mkeys_per_s", static_cast<double>(n) / r.median / 1e6);
  };
  return g;
}

}  // namespace bench::sort
