// Mutex workloads: one thread alone (the fast path, with and without checked mode) and
// threads fighting over one counter.
#include "sync/sync.hpp"

#include <brigade/sync/check.hpp>
#include <brigade/sync/mutex.hpp>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace bench::sync {
namespace {

struct state {
  brigade::mutex brigade_mu{"bench"};
  std::mutex std_mu;
  long long count = 0;     // guarded by whichever mutex the run uses
  long long expected = 0;  // what count should be after the run
};

template <class Mutex>
void increment(Mutex& m, long long& count, long long n) {
  for (long long i = 0; i < n; ++i) {
    m.lock();
    ++count;
    m.unlock();
  }
}

void check_mode(bool on) {
  brigade::sync::set_check_mode({.lock_order = on, .deadlocks = on});
}

std::string check_count(const state& s, long long expected) {
  if (s.count == expected) return "";
  return "counted " + std::to_string(s.count) + ", expected " + std::to_string(expected);
}

// Adds ns_per_op: the median over the operations (lock + unlock pairs) at that thread count.
void annotate_ns(std::vector<result>& rs, long long (*ops)(long long, int), long long n) {
  for (result& r : rs) r.extra.emplace_back("ns_per_op", r.median / ops(n, r.threads) * 1e9);
}

long long all_ops(long long n, int) {
  return n;
}
long long split_ops(long long n, int threads) {
  return n / threads * threads;
}

}  // namespace

workload make_mutex_uncontended(const config& c) {
  const long long n = c.quick ? 100'000 : 10'000'000;
  auto s = std::make_shared<state>();
  auto reset = [s] { s->count = 0; };
  series sr{"mutex_uncontended",
            std::to_string(n) +
                " lock+unlock on one thread; checked = brigade::mutex with "
                "lock-order and deadlock checks on",
            {}};
  sr.impls.push_back({"brigade", [s, n](int) { increment(s->brigade_mu, s->count, n); },
                      [reset] {
                        check_mode(false);
                        reset();
                      },
                      [s, n] { return check_count(*s, n); }});
  sr.impls.push_back({"checked", [s, n](int) { increment(s->brigade_mu, s->count, n); },
                      [reset] {
                        check_mode(true);
                        reset();
                      },
                      [s, n] {
                        check_mode(false);
                        if (brigade::sync::deadlock_reports() != 0)
                          return std::string("checked mode reported a deadlock");
                        return check_count(*s, n);
                      }});
  sr.impls.push_back({"std", [s, n](int) { increment(s->std_mu, s->count, n); }, reset,
                      [s, n] { return check_count(*s, n); }});
  group g{{sr}, [n](std::vector<result>& rs) { annotate_ns(rs, all_ops, n); }};
  return {g, {1}};
}

workload make_mutex_contended(const config& c) {
  const long long n = c.quick ? 10'000 : 1'000'000;
  auto s = std::make_shared<state>();
  // Each thread does n / threads increments; the run records the total for the check.
  auto on_threads = [s, n](auto& m) {
    return [s, n, &m](int threads) {
      s->expected = n / threads * threads;
      run_threads(threads, [&](int) { increment(m, s->count, n / threads); });
    };
  };
  auto reset = [s] { s->count = 0; };
  auto check = [s] { return check_count(*s, s->expected); };
  series sr{"mutex_contended",
            std::to_string(n) +
                " increments of one counter under the lock, split over the "
                "threads (plain std::threads, started together)",
            {}};
  sr.impls.push_back({"brigade", on_threads(s->brigade_mu),
                      [reset] {
                        check_mode(false);
                        reset();
                      },
                      check});
  sr.impls.push_back({"std", on_threads(s->std_mu), reset, check});
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<int> threads{2};
  if (hw != 2) threads.push_back(hw);  // on a 2-core machine "2 and nproc" is one series
  group g{{sr}, [n](std::vector<result>& rs) { annotate_ns(rs, split_ops, n); }};
  return {g, threads};
}

}  // namespace bench::sync
