// Per-thread accumulators: brigade::combinable against oneTBB's combinable and
// enumerable_thread_specific. Each thread adds 1 through local() for every one of its share of
// the iterations (the lookup is the cost measured), then the values are combined and checked.
#include "sync/sync.hpp"

#include <brigade/pool/combinable.hpp>

#include <tbb/combinable.h>
#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace bench::sync {
namespace {

struct state {
  std::optional<brigade::combinable<long long>> ours;
  std::optional<tbb::combinable<long long>> tbb_c;
  std::optional<tbb::enumerable_thread_specific<long long>> tbb_ets;
  long long total = 0;
  long long expected = 0;
};

std::string check_total(const state& s) {
  if (s.total == s.expected) return "";
  return "combined " + std::to_string(s.total) + ", expected " + std::to_string(s.expected);
}

// Each of `threads` threads calls local() n / threads times.
template <class Local>
void add_ones(int threads, long long n, Local local) {
  run_threads(threads, [&](int) {
    for (long long i = n / threads; i > 0; --i) ++local();
  });
}

}  // namespace

workload make_combinable(const config& c) {
  const long long n = c.quick ? 100'000 : 20'000'000;
  auto s = std::make_shared<state>();
  series sr{"combinable",
            std::to_string(n) +
                " local() += 1, split over plain std::threads started together, then one "
                "combine (the timed part includes it)",
            {}};
  auto expect = [s, n](int threads) { s->expected = n / threads * threads; };
  sr.impls.push_back({"brigade",
                      [s, n, expect](int threads) {
                        expect(threads);
                        add_ones(threads, n, [&]() -> long long& { return s->ours->local(); });
                        s->total = s->ours->combine(std::plus<>());
                      },
                      [s] { s->ours.emplace(); }, [s] { return check_total(*s); }});
  sr.impls.push_back({"tbb",
                      [s, n, expect](int threads) {
                        expect(threads);
                        add_ones(threads, n, [&]() -> long long& { return s->tbb_c->local(); });
                        s->total = s->tbb_c->combine(std::plus<>());
                      },
                      [s] { s->tbb_c.emplace(); }, [s] { return check_total(*s); }});
  sr.impls.push_back({"ets",
                      [s, n, expect](int threads) {
                        expect(threads);
                        add_ones(threads, n, [&]() -> long long& { return s->tbb_ets->local(); });
                        s->total = s->tbb_ets->combine(std::plus<>());
                      },
                      [s] { s->tbb_ets.emplace(0); }, [s] { return check_total(*s); }});
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<int> threads{1, 2};
  if (hw > 2) threads.push_back(hw);
  group g{{sr}, [n](std::vector<result>& rs) {
            for (result& r : rs)
              r.extra.emplace_back(
                  "ns_per_local",
                  r.median / static_cast<double>(n / r.threads * r.threads) * 1e9 * r.threads);
          }};
  return {g, threads};
}

}  // namespace bench::sync
