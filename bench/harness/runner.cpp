// The repetition loop: interleaved implementations, pauses between runs, checks, statistics.
#include "harness/runner.hpp"

#include "harness/report.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include <unistd.h>

namespace bench {
namespace {

// OpenMP's (and TBB's) idle threads spin for a while after a parallel region; waiting this
// long lets them go to sleep, so the next implementation does not share the cores with them.
constexpr auto pause_between_runs = std::chrono::milliseconds(20);

bool selected(const options& o, const series& s, const impl_run& r) {
  return s.reference || std::find(o.impls.begin(), o.impls.end(), r.impl) != o.impls.end();
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Slot of a result in the output: the result list is built in output order up front.
struct slot {
  const series* s;
  const impl_run* r;
  int threads;
  result* out;
};

}  // namespace

const result* find_result(const std::vector<result>& rs, const std::string& workload,
                          const std::string& impl, int threads) {
  for (const result& r : rs)
    if (r.workload == workload && r.impl == impl && (impl == "serial" || r.threads == threads))
      return &r;
  return nullptr;
}

std::vector<result> run_group(const group& g, const options& o) {
  std::vector<result> results;
  std::vector<slot> slots;
  // Output order: series, thread count, impl; serial only with the first thread count.
  for (const series& s : g.all)
    for (std::size_t t = 0; t < o.threads.size(); ++t)
      for (const impl_run& r : s.impls) {
        if (!selected(o, s, r) || (r.impl == "serial" && t != 0)) continue;
        const int threads = r.impl == "serial" ? 1 : o.threads[t];
        results.push_back(result{s.name, s.input, r.impl, threads, {}, 0, 0, 0, 0, {}});
        slots.push_back(slot{&s, &r, threads, nullptr});
      }
  for (std::size_t i = 0; i < slots.size(); ++i) slots[i].out = &results[i];

  const bool progress = isatty(STDERR_FILENO) != 0;
  for (int rep = 1; rep <= o.reps; ++rep) {
    for (const slot& sl : slots) {
      if (progress) {
        std::fprintf(stderr, "\r  rep %d/%d: %s/%s on %d thread%s          ", rep, o.reps,
                     sl.s->name.c_str(), sl.r->impl.c_str(), sl.threads,
                     sl.threads == 1 ? "" : "s");
        std::fflush(stderr);
      }
      if (sl.r->before) sl.r->before();
      std::this_thread::sleep_for(pause_between_runs);
      const auto t0 = std::chrono::steady_clock::now();
      sl.r->run(sl.threads);
      const auto t1 = std::chrono::steady_clock::now();
      sl.out->seconds.push_back(std::chrono::duration<double>(t1 - t0).count());
      if (const std::string wrong = sl.r->check(); !wrong.empty())
        throw wrong_result(sl.s->name + "/" + sl.r->impl + " on " + std::to_string(sl.threads) +
                           " threads, rep " + std::to_string(rep) + ": " + wrong);
    }
  }
  if (progress) std::fprintf(stderr, "\r%70s\r", "");

  for (result& r : results) {
    r.median = median_of(r.seconds);
    r.min = *std::min_element(r.seconds.begin(), r.seconds.end());
  }
  for (result& r : results) {
    if (const result* b = find_result(results, r.workload, "brigade", r.threads);
        b && b->median > 0)
      r.vs_brigade = r.median / b->median;
    if (const result* s = find_result(results, r.workload, "serial", r.threads); s && r.median > 0)
      r.vs_serial = s->median / r.median;
  }
  if (g.annotate) g.annotate(results);
  return results;
}

int run_workloads(const char* program, const std::vector<std::string>& selected,
                  const std::function<std::vector<result>(const std::string&)>& run) {
  try {
    std::vector<result> all;
    for (const std::string& name : selected) {
      const std::vector<result> rs = run(name);
      for (const result& r : rs) print_json(stdout, r);
      std::fflush(stdout);
      all.insert(all.end(), rs.begin(), rs.end());
    }
    print_table(stdout, all);
  } catch (const wrong_result& e) {
    std::fprintf(stderr, "\n%s: wrong result: %s\n", program, e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\n%s: %s\n", program, e.what());
    return 1;
  }
  return 0;
}

}  // namespace bench
