// Randomized stress for task graphs and pipelines: random DAGs of ~10^5 tasks under many
// seeds, exceptions at random tasks, several graphs at once, random pipelines.
// Sizes scale with BRIGADE_STRESS_SCALE; seeds are printed and replayable with BRIGADE_SEED.
#include <brigade/par/parallel_for.hpp>
#include <brigade/par/pipeline.hpp>
#include <brigade/par/task_graph.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using brigade::testing::scaled;
using brigade::testing::test_seed;

// A random DAG over positions 0..n-1 (edges from lower to higher position), each task with up
// to 4 predecessors, half of them near it (long chains) and half anywhere (wide fan-in).
struct dag {
  std::size_t n;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
  dag(std::uint64_t seed, std::size_t nodes) : n(nodes) {
    std::mt19937_64 rng(seed);
    for (std::size_t v = 1; v < n; ++v) {
      const std::size_t k = rng() % 5;
      for (std::size_t j = 0; j < k; ++j) {
        const std::size_t back =
            rng() % 2 == 0 ? 1 + rng() % std::min<std::size_t>(v, 16) : 1 + rng() % v;
        edges.emplace_back(static_cast<std::uint32_t>(v - back), static_cast<std::uint32_t>(v));
      }
    }
  }
};

struct stamps {
  std::atomic<std::uint64_t> clock{0};
  std::vector<std::atomic<std::uint64_t>> start, finish;
  std::vector<std::atomic<std::uint32_t>> runs;
  explicit stamps(std::size_t n) : start(n), finish(n), runs(n) {}
};

brigade::task_graph build(const dag& d, stamps& s, std::uint32_t throw_at) {
  brigade::task_graph g;
  std::vector<brigade::graph_task> t;
  t.reserve(d.n);
  for (std::uint32_t v = 0; v < d.n; ++v)
    t.push_back(g.add([&s, v, throw_at] {
      s.start[v] = ++s.clock;
      s.runs[v]++;
      if (v == throw_at) throw std::runtime_error("task " + std::to_string(v));
      s.finish[v] = ++s.clock;
    }));
  for (auto [a, b] : d.edges) t[a].precede(t[b]);
  return g;
}

TEST(graph_stress, random_dags_of_a_hundred_thousand_tasks) {
  const unsigned seed = test_seed(2024);
  const std::size_t n = scaled(100'000);
  const std::size_t graphs = scaled(6);
  for (std::size_t threads : {2u, 4u, 7u}) {
    brigade::pool p(threads);
    for (std::size_t k = 0; k < graphs; ++k) {
      const dag d(seed + k * 7919 + threads, n);
      stamps s(n);
      auto g = build(d, s, UINT32_MAX);
      const int runs = 3;
      for (int r = 0; r < runs; ++r) {
        g.run(p);
        for (auto [a, b] : d.edges)
          ASSERT_LT(s.finish[a].load(), s.start[b].load())
              << "edge " << a << " -> " << b << ", graph " << k << ", run " << r;
      }
      for (std::size_t v = 0; v < n; ++v) ASSERT_EQ(s.runs[v].load(), runs) << "task " << v;
    }
  }
}

TEST(graph_stress, an_exception_at_a_random_task_stops_its_descendants) {
  const unsigned seed = test_seed(77);
  const std::size_t n = scaled(20'000);
  brigade::pool p(4);
  std::mt19937_64 rng(seed);
  for (std::size_t round = 0; round < scaled(20); ++round) {
    const dag d(rng(), n);
    const auto victim = static_cast<std::uint32_t>(rng() % n);
    stamps s(n);
    auto g = build(d, s, victim);
    EXPECT_THROW(g.run(p), std::runtime_error);
    // Nothing downstream of the victim may have started.
    std::vector<bool> below(n, false);
    below[victim] = true;
    for (auto [a, b] : d.edges)  // edges are sorted by their target's position
      if (below[a]) below[b] = true;
    for (std::size_t v = 0; v < n; ++v) {
      if (below[v] && v != victim) {
        ASSERT_EQ(s.runs[v].load(), 0u) << "task " << v;
      }
    }
  }
}

TEST(graph_stress, graphs_run_again_after_failing) {
  const unsigned seed = test_seed(78);
  const std::size_t n = scaled(20'000);
  brigade::pool p(3);
  const dag d(seed, n);
  stamps s(n);
  std::atomic<std::uint32_t> throw_at{0};
  brigade::task_graph g;
  std::vector<brigade::graph_task> t;
  for (std::uint32_t v = 0; v < n; ++v)
    t.push_back(g.add([&, v] {
      s.start[v] = ++s.clock;
      if (v == throw_at.load()) throw std::runtime_error("boom");
      s.runs[v]++;
      s.finish[v] = ++s.clock;
    }));
  for (auto [a, b] : d.edges) t[a].precede(t[b]);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 30; ++round) {
    const bool fail = round % 2 == 0;
    throw_at = fail ? static_cast<std::uint32_t>(rng() % n) : UINT32_MAX;
    for (auto& r : s.runs) r = 0;
    if (fail) {
      EXPECT_THROW(g.run(p), std::runtime_error);
    } else {
      g.run(p);
      for (std::size_t v = 0; v < n; ++v) ASSERT_EQ(s.runs[v].load(), 1u);
      for (auto [a, b] : d.edges) ASSERT_LT(s.finish[a].load(), s.start[b].load());
    }
  }
}

TEST(graph_stress, many_graphs_at_once_with_loops_and_subgraphs) {
  const unsigned seed = test_seed(79);
  brigade::pool p(4);
  const std::size_t callers = 6;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (std::size_t c = 0; c < callers; ++c)
    threads.emplace_back([&, c] {
      std::mt19937_64 rng(seed + c);
      // inner: a loop of `laps` laps whose body forks; outer: a fan of inner graphs' users.
      const int laps = 1 + static_cast<int>(rng() % 20);
      int lap = 0;
      std::atomic<long> work{0};
      brigade::task_graph inner;
      auto init = inner.add([&] { lap = 0; });
      auto body = inner.add([&] { brigade::parallel_for(0, 64, [&](std::size_t) { work++; }); });
      auto again = inner.add_condition([&] { return ++lap < laps ? 0 : 1; });
      auto out = inner.add([] {});
      init.precede(body);
      body.precede(again);
      again.precede(body, out);
      brigade::task_graph outer;
      auto first = outer.add([&] { work++; });
      auto sub = outer.add_graph(inner);
      auto last = outer.add([&] { work++; });
      first.precede(sub);
      sub.precede(last);
      const int runs = static_cast<int>(scaled(50));
      for (int r = 0; r < runs; ++r) {
        if (c % 2 == 0) {
          outer.run(p);
        } else {
          p.run([&] { outer.run(); });  // from a worker: helping
        }
      }
      if (work.load() != static_cast<long>(runs) * (2 + 64L * laps)) failures++;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(graph_stress, random_pipelines) {
  const unsigned seed = test_seed(80);
  std::mt19937_64 rng(seed);
  brigade::pool p(4);
  using brigade::stage;
  using brigade::stage_mode;
  for (std::size_t round = 0; round < scaled(30); ++round) {
    const std::size_t items = scaled(5000);
    const std::size_t tokens = 1 + rng() % 16;
    std::array<stage_mode, 3> mode{};
    for (auto& m : mode) m = static_cast<stage_mode>(rng() % 3);
    std::vector<std::uint32_t> delay(items);
    for (auto& x : delay) x = static_cast<std::uint32_t>(rng() % 500);
    std::size_t next = 0;
    std::atomic<int> in_flight{0}, most{0};
    std::array<std::vector<std::size_t>, 3> seen;  // by serial stages (never concurrent)
    std::array<std::atomic<int>, 3> inside{};
    std::atomic<bool> broken{false};
    auto make_stage = [&](std::size_t k) {
      return stage(mode[k], [&, k](std::size_t i) {
        if (mode[k] != stage_mode::parallel) {
          if (++inside[k] != 1) broken = true;
          seen[k].push_back(i);
        }
        volatile std::uint32_t x = 0;
        for (std::uint32_t j = 0; j < delay[i]; ++j) x = x + j;
        if (mode[k] != stage_mode::parallel) --inside[k];
        return i;
      });
    };
    brigade::parallel_pipeline(
        p, tokens,
        [&]() -> std::optional<std::size_t> {
          if (next == items) return std::nullopt;
          const int now = ++in_flight;
          int m = most.load();
          while (now > m && !most.compare_exchange_weak(m, now)) {
          }
          return next++;
        },
        make_stage(0), make_stage(1), make_stage(2),
        stage(stage_mode::serial_out_of_order, [&](std::size_t) { --in_flight; }));
    ASSERT_FALSE(broken.load()) << "a serial stage ran two items at once, round " << round;
    ASSERT_LE(most.load(), static_cast<int>(tokens));
    for (std::size_t k = 0; k < 3; ++k) {
      if (mode[k] == stage_mode::parallel) continue;
      ASSERT_EQ(seen[k].size(), items);
      if (mode[k] == stage_mode::serial_in_order) {
        for (std::size_t i = 0; i < items; ++i) ASSERT_EQ(seen[k][i], i) << "round " << round;
      }
    }
  }
}

TEST(graph_stress, in_order_gates_under_preemption) {
  // Tiny stages, few tokens and more workers than cores: items race each other into the gates
  // and workers are preempted between a gate's steps.
  const unsigned seed = test_seed(81);
  std::mt19937_64 rng(seed);
  brigade::pool p(7);
  using brigade::stage;
  using brigade::stage_mode;
  for (std::size_t round = 0; round < scaled(40); ++round) {
    const std::size_t items = scaled(20000);
    const std::size_t tokens = 1 + rng() % 4;
    std::size_t next = 0, first_seen = 0, last_seen = 0;
    bool first_in_order = true, last_in_order = true;  // one per stage: they run concurrently
    brigade::parallel_pipeline(
        p, tokens,
        [&]() -> std::optional<std::size_t> {
          if (next == items) return std::nullopt;
          return next++;
        },
        stage(stage_mode::parallel, [](std::size_t i) { return i; }),
        stage(stage_mode::serial_in_order,
              [&](std::size_t i) {
                first_in_order = first_in_order && i == first_seen++;
                return i;
              }),
        stage(stage_mode::parallel, [](std::size_t i) { return i; }),
        stage(stage_mode::serial_in_order,
              [&](std::size_t i) { last_in_order = last_in_order && i == last_seen++; }));
    ASSERT_TRUE(first_in_order && last_in_order)
        << "round " << round << ", " << tokens << " tokens";
    ASSERT_EQ(last_seen, items);
  }
}

}  // namespace
