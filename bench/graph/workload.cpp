// The graph and pipeline workloads for the harness: inputs, the serial reference, checks,
// and the extra numbers (ns per task, allocations per re-run, items per second).
#include "graph/graph.hpp"

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>

namespace bench::graph {

shape wavefront(std::uint32_t rows, std::uint32_t cols) {
  shape s{"wavefront",
          std::to_string(rows) + "x" + std::to_string(cols) +
              " grid, each cell after its left and "
              "upper neighbour",
          rows * cols,
          {},
          {}};
  s.pred_begin.push_back(0);
  for (std::uint32_t i = 0; i < rows; ++i)
    for (std::uint32_t j = 0; j < cols; ++j) {
      if (j > 0) s.preds.push_back(i * cols + j - 1);
      if (i > 0) s.preds.push_back((i - 1) * cols + j);
      s.pred_begin.push_back(static_cast<std::uint32_t>(s.preds.size()));
    }
  return s;
}

shape chain(std::uint32_t n) {
  shape s{"chain", std::to_string(n) + " tasks, each after the one before", n, {0}, {}};
  for (std::uint32_t v = 0; v < n; ++v) {
    if (v > 0) s.preds.push_back(v - 1);
    s.pred_begin.push_back(static_cast<std::uint32_t>(s.preds.size()));
  }
  return s;
}

shape random_dag(std::uint32_t n, std::uint64_t seed) {
  shape s{"random_dag", "", n, {0}, {}};
  std::mt19937_64 rng(seed);
  for (std::uint32_t v = 0; v < n; ++v) {
    const std::uint32_t k = v == 0 ? 0 : static_cast<std::uint32_t>(rng() % 5);
    for (std::uint32_t j = 0; j < k; ++j) {
      const std::uint64_t near = 1 + rng() % std::min<std::uint64_t>(v, 64);
      const std::uint64_t far = 1 + rng() % v;
      s.preds.push_back(v - static_cast<std::uint32_t>(rng() % 2 == 0 ? near : far));
    }
    s.pred_begin.push_back(static_cast<std::uint32_t>(s.preds.size()));
  }
  s.input = std::to_string(n) + " tasks, " + std::to_string(s.preds.size()) +
            " edges (0-4 predecessors each, half within 64, half anywhere), seed " +
            std::to_string(seed);
  return s;
}

namespace {

// Everything one shape's series share: the shape, the values the tasks write, the serial
// reference, and the graphs built once (brigade: one; TBB: one per arena).
struct graph_state {
  shape s;
  std::vector<std::uint64_t> value, expected;
  std::unique_ptr<graph_runner> brigade;
  std::map<int, std::unique_ptr<graph_runner>> tbb;
  std::unique_ptr<graph_runner> rebuilt;  // the last rebuild's graph, freed before the next run
  long reuse_allocations = 0;             // counted over brigade's re-runs
  int reuse_runs = 0;
};

std::string check_values(const graph_state& st) {
  for (std::uint32_t v = 0; v < st.s.n; ++v)
    if (st.value[v] != st.expected[v])
      return "task " + std::to_string(v) + " computed " + std::to_string(st.value[v]) +
             ", expected " + std::to_string(st.expected[v]);
  return "";
}

group make_shape_group(shape sh, const std::vector<int>& threads, bool with_rebuild) {
  auto st = std::make_shared<graph_state>();
  st->s = std::move(sh);
  st->value.assign(st->s.n, 0);
  st->expected.assign(st->s.n, 0);
  for (std::uint32_t v = 0; v < st->s.n; ++v) compute(st->s, st->expected.data(), v);
  st->brigade = make_brigade_graph(st->s, st->value.data());
  for (int t : threads) st->tbb[t] = make_tbb_graph(st->s, st->value.data(), t);
  // One untimed run each: brigade lays its graph out on the first run after building, TBB
  // fills its task pools; "run again" is what the series measure.
  for (int t : threads) {
    st->brigade->run(t);
    st->tbb[t]->run(t);
  }

  auto fresh = [st] {
    st->rebuilt.reset();
    std::memset(st->value.data(), 0, st->value.size() * sizeof(std::uint64_t));
  };
  auto check = [st] { return check_values(*st); };
  const std::string name = st->s.name;
  series reuse{name,
               st->s.input + "; built once, run again",
               {impl_run{"brigade",
                         [st](int t) {
                           const long before = allocations();
                           count_allocations(true);
                           st->brigade->run(t);
                           count_allocations(false);
                           st->reuse_allocations += allocations() - before;
                           st->reuse_runs++;
                         },
                         fresh, check},
                impl_run{"tbb", [st](int t) { st->tbb.at(t)->run(t); }, fresh, check},
                impl_run{"serial",
                         [st](int) {
                           for (std::uint32_t v = 0; v < st->s.n; ++v)
                             compute(st->s, st->value.data(), v);
                         },
                         fresh, check}}};
  group g;
  g.all.push_back(std::move(reuse));
  if (with_rebuild) {
    series rebuild{name + "_rebuild",
                   st->s.input + "; built and run every time",
                   {impl_run{"brigade",
                             [st](int t) {
                               st->rebuilt = make_brigade_graph(st->s, st->value.data());
                               st->rebuilt->run(t);
                             },
                             fresh, check},
                    impl_run{"tbb",
                             [st](int t) {
                               st->rebuilt = make_tbb_graph(st->s, st->value.data(), t);
                               st->rebuilt->run(t);
                             },
                             fresh, check}}};
    g.all.push_back(std::move(rebuild));
  }
  g.annotate = [st](std::vector<result>& rs) {
    for (result& r : rs) {
      if (r.impl == "serial") continue;
      r.extra.emplace_back("ns_per_task", r.median * 1e9 / st->s.n);
    }
    for (result& r : rs)
      if (r.impl == "brigade" && r.workload == st->s.name)
        r.extra.emplace_back("allocs_per_rerun_all_threads",
                             st->reuse_runs == 0
                                 ? 0.0
                                 : static_cast<double>(st->reuse_allocations) / st->reuse_runs);
  };
  return g;
}

}  // namespace

group make_wavefront(const config& c, const std::vector<int>& threads) {
  return make_shape_group(c.quick ? wavefront(200, 200) : wavefront(1000, 1000), threads, true);
}

group make_chain(const config& c, const std::vector<int>& threads) {
  return make_shape_group(chain(c.quick ? 100'000 : 1'000'000), threads, false);
}

group make_random_dag(const config& c, const std::vector<int>& threads) {
  return make_shape_group(random_dag(c.quick ? 100'000 : 1'000'000, 42), threads, true);
}

std::uint64_t item_work(std::uint64_t i, std::uint64_t spin) {
  std::uint64_t x = i + 1;
  for (std::uint64_t k = 0; k < spin; ++k) x = mix(x + k);
  return x;
}

std::uint64_t pipeline_serial(const pipeline_input& in) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < in.items; ++i) sum += item_work(i, in.spin);
  return sum;
}

group make_pipeline(const config& c, const std::vector<int>& threads) {
  (void)threads;
  // Calibrate item_work to about 10 µs on this machine.
  std::uint64_t spin = 1000;
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    volatile std::uint64_t sink = 0;
    for (int i = 0; i < 200; ++i) sink = sink + item_work(static_cast<std::uint64_t>(i), spin);
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
        200;
    if (us > 5) {
      spin = static_cast<std::uint64_t>(static_cast<double>(spin) * 10.0 / us);
      break;
    }
    spin *= 2;
  }
  struct state {
    pipeline_input in;
    std::uint64_t expected = 0, got = 0;
  };
  // Two series: ~10 us per item (the target), and no work at all (the per-item overhead).
  auto make_series = [](std::string name, std::uint64_t items, std::uint64_t spin_iters,
                        std::string work) {
    auto st = std::make_shared<state>();
    st->in.items = items;
    st->in.spin = spin_iters;
    st->expected = pipeline_serial(st->in);
    auto entry = [st](std::string impl, std::uint64_t (*fn)(const pipeline_input&, int)) {
      return impl_run{std::move(impl),
                      [st, fn](int t) {
                        st->in.tokens = 4 * static_cast<std::size_t>(t);
                        st->got = fn(st->in, t);
                      },
                      [st] { st->got = 1; },
                      [st] {
                        return st->got == st->expected ? std::string()
                                                       : "sink saw the items out of order or "
                                                         "the wrong sum";
                      }};
    };
    series s{std::move(name),
             std::to_string(items) + " items: serial source -> parallel stage (" + work +
                 ") -> serial in-order sink, 4 tokens per thread",
             {entry("brigade", pipeline_brigade), entry("tbb", pipeline_tbb),
              entry("serial", [](const pipeline_input& in, int) { return pipeline_serial(in); })}};
    return std::pair{std::move(s), st};
  };
  auto [work, work_st] =
      make_series("pipeline", c.quick ? 5'000 : 100'000, spin, "~10 us of work per item");
  auto [tiny, tiny_st] =
      make_series("pipeline_overhead", c.quick ? 50'000 : 1'000'000, 0, "no work");
  group g;
  g.all.push_back(std::move(work));
  g.all.push_back(std::move(tiny));
  g.annotate = [work_st = work_st, tiny_st = tiny_st](std::vector<result>& rs) {
    for (result& r : rs) {
      const auto items =
          static_cast<double>(r.workload == "pipeline" ? work_st->in.items : tiny_st->in.items);
      r.extra.emplace_back("items_per_s", items / r.median);
      if (r.workload == "pipeline_overhead")
        r.extra.emplace_back("ns_per_item", r.median * 1e9 / items);
    }
  };
  return g;
}

}  // namespace bench::graph
