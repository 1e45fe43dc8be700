// The span `brigade trace` reports is the program's (logical, as Cilkview's), not this
// schedule's: loops record the pieces they ran one after the other as the siblings they are,
// so programs of known work and span measure the same at 1 and at 2 threads. The waits are
// sleeps, so a busy machine stretches them little.
#include <brigade/par/parallel_for.hpp>
#include <brigade/par/parallel_reduce.hpp>
#include <brigade/par/pipeline.hpp>
#include <brigade/pool/future.hpp>
#include <brigade/pool/join.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/trace/trace.hpp>
#include <brigade/trace_tools/analysis.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace tr = brigade::trace;
using namespace std::chrono_literals;
using ms = std::chrono::duration<double, std::milli>;

struct figures {
  double work_ms;
  double span_ms;
};

figures record(unsigned threads, const std::function<void(brigade::pool&)>& program) {
  brigade::pool p(threads);
  const std::string path = "/tmp/brigade_logical_span_" + std::to_string(::getpid()) + "_" +
                           std::to_string(threads) + ".json";
  tr::start();
  program(p);
  tr::stop(path);
  const tr::analysis a = tr::analyse(tr::read_trace_file(path));
  std::remove(path.c_str());
  return {static_cast<double>(a.work_ns) / 1e6, static_cast<double>(a.span_ns) / 1e6};
}

// What one attempt found wrong ("" when nothing). The figures come from sleeps and the
// segments around them; on a loaded machine a thread preempted between a sleep's end and its
// segment's end can add a millisecond to one attempt, so each test gets three attempts, and a
// wrong analysis (the schedule's span, say, several times the program's) misses all of them.
struct checks {
  std::string misses;
  void near(double got, double expected, double rel, const std::string& what) {
    if (got < expected * (1 - rel) || got > expected * (1 + rel))
      misses += what + ": " + std::to_string(got) + " ms, expected about " +
                std::to_string(expected) + " ms; ";
  }
  void at_most(double got, double bound, const std::string& what) {
    if (got > bound)
      misses += what + ": " + std::to_string(got) + " ms, at most " + std::to_string(bound) + "; ";
  }
  void at_least(double got, double bound, const std::string& what) {
    if (got < bound)
      misses += what + ": " + std::to_string(got) + " ms, at least " + std::to_string(bound) + "; ";
  }
};

template <class Attempt>
void within_three_attempts(Attempt attempt) {
  std::string all;
  for (int i = 0; i < 3; ++i) {
    checks c;
    attempt(c);
    if (c.misses.empty()) return;
    all += "\n  attempt " + std::to_string(i + 1) + ": " + c.misses;
  }
  ADD_FAILURE() << "three attempts missed:" << all;
}

// Runs f and returns how long it took in ms: the known work and span are computed from what
// each leaf really took, because a sleep on a busy machine overshoots by a millisecond or more.
template <class F>
double timed(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return ms(std::chrono::steady_clock::now() - start).count();
}

std::vector<double> zeros(std::size_t n) {
  return std::vector<double>(n, 0.0);
}

double sum(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0);
}

double max(const std::vector<double>& v) {
  return *std::max_element(v.begin(), v.end());
}

// The program, scaled down: 20 ms serial, 16 iterations of 4 ms with grain 1, then a
// join of two 10 ms branches: span = serial + the longest iteration + the longer branch.
TEST(logical_span, serial_then_a_loop_with_grain_1_then_a_join) {
  within_three_attempts([&](checks& c) {
    for (unsigned threads : {1u, 2u}) {
      double serial = 0;
      std::vector<double> iterations = zeros(16), branches = zeros(2);
      const figures f = record(threads, [&](brigade::pool& p) {
        serial = timed([] { std::this_thread::sleep_for(20ms); });
        brigade::parallel_for(0, 16,
                              [&](int i) {
                                iterations[static_cast<std::size_t>(i)] =
                                    timed([] { std::this_thread::sleep_for(4ms); });
                              },
                              {.grain = 1, .pool = &p});
        p.run([&] {
          brigade::join([&] { branches[0] = timed([] { std::this_thread::sleep_for(10ms); }); },
                        [&] { branches[1] = timed([] { std::this_thread::sleep_for(10ms); }); });
        });
      });
      const std::string at = std::to_string(threads) + " thread(s)";
      c.near(f.work_ms, serial + sum(iterations) + sum(branches), 0.05, "work at " + at);
      c.near(f.span_ms, serial + max(iterations) + max(branches), 0.10, "span at " + at);
    }
  });
}

// With no grain the pieces a worker ran in a row are divisible down to single iterations: the
// loop adds about one iteration's time to the span, not its pieces'. 20 ms serial, then 2048
// iterations that each sleep 10 us (60 us or more on Linux, so over 100 ms of work): the span
// stays near the serial part at 1 and 2 threads.
TEST(logical_span, a_loop_without_grain_adds_about_one_iteration) {
  within_three_attempts([&](checks& c) {
    for (unsigned threads : {1u, 2u}) {
      double serial = 0;
      std::vector<double> iterations = zeros(2048);
      const figures f = record(threads, [&](brigade::pool& p) {
        serial = timed([] { std::this_thread::sleep_for(20ms); });
        brigade::parallel_for(0, 2048,
                              [&](int i) {
                                iterations[static_cast<std::size_t>(i)] =
                                    timed([] { std::this_thread::sleep_for(10us); });
                              },
                              {.pool = &p});
      });
      const std::string at = std::to_string(threads) + " thread(s)";
      c.near(f.work_ms, serial + sum(iterations), 0.05, "work at " + at);
      c.at_least(f.span_ms, serial, "span at " + at);
      // A piece's share is the mean of its iterations, at most the longest one: far below the
      // loop's work, all of which the schedule's span would add at 1 thread.
      c.at_most(f.span_ms, serial + max(iterations) * 1.1 + 0.5, "span at " + at);
    }
  });
}

// A reduction with grain 4 over 32 iterations of 2 ms: leaves of 4 iterations run serially, so
// the span is the longest leaf.
TEST(logical_span, a_reduction_with_a_grain_has_one_leaf_of_span) {
  within_three_attempts([&](checks& c) {
    for (unsigned threads : {1u, 2u}) {
      std::vector<double> leaves = zeros(8);  // [4k, 4k + 4) is leaf k
      const figures f = record(threads, [&](brigade::pool& p) {
        const int n = brigade::parallel_reduce(0, 32, 0,
                                               [&](int b, int e, int acc) {
                                                 leaves[static_cast<std::size_t>(b / 4)] +=
                                                     timed([&] {
                                                       for (int i = b; i < e; ++i, ++acc)
                                                         std::this_thread::sleep_for(2ms);
                                                     });
                                                 return acc;
                                               },
                                               std::plus<>(), {.grain = 4, .pool = &p});
        EXPECT_EQ(n, 32);
      });
      const std::string at = std::to_string(threads) + " thread(s)";
      c.near(f.work_ms, sum(leaves), 0.05, "work at " + at);
      c.near(f.span_ms, max(leaves), 0.10, "span at " + at);
    }
  });
}

// Nested loops: 4 x 4 iterations of 3 ms, grain 1 at both levels: the span is one iteration.
TEST(logical_span, nested_loops) {
  within_three_attempts([&](checks& c) {
    for (unsigned threads : {1u, 2u}) {
      std::vector<double> iterations = zeros(16);
      const figures f = record(threads, [&](brigade::pool& p) {
        brigade::parallel_for(0, 4,
                              [&](int i) {
                                brigade::parallel_for(
                                    0, 4,
                                    [&](int j) {
                                      iterations[static_cast<std::size_t>(4 * i + j)] =
                                          timed([] { std::this_thread::sleep_for(3ms); });
                                    },
                                    {.grain = 1});
                              },
                              {.grain = 1, .pool = &p});
      });
      const std::string at = std::to_string(threads) + " thread(s)";
      c.near(f.work_ms, sum(iterations), 0.05, "work at " + at);
      c.near(f.span_ms, max(iterations), 0.10, "span at " + at);
    }
  });
}

// A thread blocked in future::get() is waiting, not working: 10 ms serial, then a submitted
// 20 ms job waited for: work and span are both the 30 ms, not 10 + 20 + the 20 ms wait.
TEST(logical_span, waiting_on_a_future_is_not_work) {
  within_three_attempts([&](checks& c) {
    for (unsigned threads : {1u, 2u}) {
      double serial = 0, job = 0;
      const figures f = record(threads, [&](brigade::pool& p) {
        serial = timed([] { std::this_thread::sleep_for(10ms); });
        brigade::submit(p, [&] { job = timed([] { std::this_thread::sleep_for(20ms); }); }).get();
      });
      const std::string at = std::to_string(threads) + " thread(s)";
      c.near(f.work_ms, serial + job, 0.05, "work at " + at);
      c.near(f.span_ms, serial + job, 0.10, "span at " + at);
    }
  });
}

// A pipeline of 8 items (8 tokens): a serial source (1 ms), a parallel stage (10 ms) and a
// serial in-order stage (1 ms). The span follows the items' chains: source i after source
// i - 1, stage 1 after the source, stage 2 after stage 1 and after item i - 1's stage 2.
TEST(logical_span, a_pipeline_of_serial_and_parallel_stages) {
  within_three_attempts([&](checks& c) {
    for (unsigned threads : {1u, 2u}) {
      std::vector<double> source = zeros(8), middle = zeros(8), last = zeros(8);
      const figures f = record(threads, [&](brigade::pool& p) {
        int next = 0;
        brigade::pipeline line(
            8,
            [&]() -> std::optional<int> {
              if (next == 8) return std::nullopt;
              const int i = next++;
              source[static_cast<std::size_t>(i)] = timed([] { std::this_thread::sleep_for(1ms); });
              return i;
            },
            brigade::stage(brigade::stage_mode::parallel,
                           [&](int i) {
                             middle[static_cast<std::size_t>(i)] =
                                 timed([] { std::this_thread::sleep_for(10ms); });
                             return i;
                           }),
            brigade::stage(brigade::stage_mode::serial_in_order, [&](int i) {
              last[static_cast<std::size_t>(i)] = timed([] { std::this_thread::sleep_for(1ms); });
            }));
        line.run(p);
      });
      double s = 0, q = 0;  // the chains' ends so far
      for (std::size_t i = 0; i < 8; ++i) {
        s += source[i];
        q = std::max(q, s + middle[i]) + last[i];
      }
      const std::string at = std::to_string(threads) + " thread(s)";
      c.near(f.work_ms, sum(source) + sum(middle) + sum(last), 0.05, "work at " + at);
      c.near(f.span_ms, q, 0.10, "span at " + at);
    }
  });
}

}  // namespace
