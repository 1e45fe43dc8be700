// Semaphore and latch workloads: brigade::semaphore against std::counting_semaphore used as a
// lock by threads fighting over one counter, and brigade::latch against std::latch as a
// per-round rendezvous of all the threads.
#include "sync/sync.hpp"

#include <brigade/sync/latch.hpp>
#include <brigade/sync/semaphore.hpp>

#include <latch>
#include <memory>
#include <semaphore>
#include <string>
#include <vector>

namespace bench::sync {
namespace {

struct semaphore_state {
  std::unique_ptr<brigade::semaphore> brigade_sem;
  std::unique_ptr<std::counting_semaphore<>> std_sem;
  long long count = 0;     // guarded by the semaphore (one permit)
  long long expected = 0;  // what count should be after the run
};

template <class Acquire, class Release>
void increment(long long& count, long long n, Acquire acquire, Release release) {
  for (long long i = 0; i < n; ++i) {
    acquire();
    ++count;
    release();
  }
}

std::string check_count(long long got, long long expected) {
  if (got == expected) return "";
  return "counted " + std::to_string(got) + ", expected " + std::to_string(expected);
}

template <class Latch>
struct latch_state {
  std::vector<std::unique_ptr<Latch>> rounds;  // one fresh latch per round, made untimed
  void reset(int rounds_n, int threads) {
    rounds.clear();
    for (int r = 0; r < rounds_n; ++r) rounds.push_back(std::make_unique<Latch>(threads));
  }
};

}  // namespace

workload make_semaphore_contended(const config& c) {
  const long long n = c.quick ? 10'000 : 1'000'000;
  auto s = std::make_shared<semaphore_state>();
  auto reset = [s] {
    s->count = 0;
    s->brigade_sem = std::make_unique<brigade::semaphore>(1);
    s->std_sem = std::make_unique<std::counting_semaphore<>>(1);
  };
  auto check = [s] { return check_count(s->count, s->expected); };
  series sr{"semaphore_contended",
            std::to_string(n) +
                " increments of one counter under a one-permit semaphore (acquire, ++, "
                "release), split over the threads (plain std::threads, started together)",
            {}};
  sr.impls.push_back({"brigade",
                      [s, n](int threads) {
                        s->expected = n / threads * threads;
                        brigade::semaphore& sem = *s->brigade_sem;
                        run_threads(threads, [&](int) {
                          increment(
                              s->count, n / threads, [&] { sem.blocking_acquire(); },
                              [&] { sem.release(); });
                        });
                      },
                      reset, check});
  sr.impls.push_back({"std",
                      [s, n](int threads) {
                        s->expected = n / threads * threads;
                        std::counting_semaphore<>& sem = *s->std_sem;
                        run_threads(threads, [&](int) {
                          increment(
                              s->count, n / threads, [&] { sem.acquire(); },
                              [&] { sem.release(); });
                        });
                      },
                      reset, check});
  group g{{sr}, [n](std::vector<result>& rs) {
            for (result& r : rs)
              r.extra.emplace_back("ns_per_op",
                                   r.median / static_cast<double>(n / r.threads * r.threads) * 1e9);
          }};
  return {g, {2, 4}};
}

workload make_latch(const config& c) {
  const int rounds = c.quick ? 200 : 20'000;
  auto b = std::make_shared<latch_state<brigade::latch>>();
  auto st = std::make_shared<latch_state<std::latch>>();
  series sr{"latch",
            std::to_string(rounds) +
                " rounds; in each, every thread counts a fresh latch of `threads` down and "
                "waits for it to open (arrive_and_wait; the latches are made untimed)",
            {}};
  // reset() does not know the thread count: each run makes the latches for its count first,
  // identically for both implementations (inside the timed part, like thread creation).
  sr.impls.push_back({"brigade",
                      [b, rounds](int threads) {
                        b->reset(rounds, threads);
                        run_threads(threads, [&](int) {
                          for (int r = 0; r < rounds; ++r) b->rounds[r]->arrive_and_wait();
                        });
                      },
                      [] {},
                      [b] {
                        for (const auto& l : b->rounds)
                          if (!l->try_wait()) return std::string("a latch did not open");
                        return std::string();
                      }});
  sr.impls.push_back({"std",
                      [st, rounds](int threads) {
                        st->reset(rounds, threads);
                        run_threads(threads, [&](int) {
                          for (int r = 0; r < rounds; ++r) st->rounds[r]->arrive_and_wait();
                        });
                      },
                      [] {},
                      [st] {
                        for (const auto& l : st->rounds)
                          if (!l->try_wait()) return std::string("a latch did not open");
                        return std::string();
                      }});
  group g{{sr}, [rounds](std::vector<result>& rs) {
            for (result& r : rs) r.extra.emplace_back("ns_per_round", r.median / rounds * 1e9);
          }};
  return {g, {2, 4}};
}

}  // namespace bench::sync
