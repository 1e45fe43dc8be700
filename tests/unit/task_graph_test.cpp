// brigade::task_graph: dependencies on random DAGs, reuse, composition, conditions, cycles,
// exceptions, coroutines, Graphviz output, and no allocation when a graph runs again.
#include <brigade/core/sync_wait.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/runtime.hpp>
#include <brigade/par/parallel_for.hpp>
#include <brigade/par/task_graph.hpp>
#include <brigade/pool/join.hpp>
#include <brigade/pool/task_group.hpp>

#include "support/flavours.hpp"
#include "support/sanitizers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// Counts every allocation made while `counting` is on, on any thread: by replacing every form
// of operator new, or, under a sanitizer (whose runtime brings its own operator new, linked
// whole), through the sanitizer's malloc hook, which sees operator new and malloc alike.
#if defined(BRIGADE_ASAN) || defined(BRIGADE_TSAN)
#define BRIGADE_TEST_SANITIZED 1
#endif

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

void note_allocation() {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

#ifdef BRIGADE_TEST_SANITIZED
#include <sanitizer/allocator_interface.h>

namespace {
void on_malloc(const volatile void*, std::size_t) {
  note_allocation();
}
void on_free(const volatile void*) {}
// Installed during static initialization, before any thread starts.
const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(&on_malloc, &on_free);
}  // namespace
#else
// The other forms (arrays, nothrow) call these in libstdc++.
void* operator new(std::size_t n) {
  note_allocation();
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, std::align_val_t a) {
  note_allocation();
  const auto align = static_cast<std::size_t>(a);
  if (void* p = std::aligned_alloc(align, (n + align) / align * align)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
#endif

namespace {

using brigade::testing::on_pool;
using brigade::testing::test_seed;

class graph_on_pool : public on_pool {};

// A random DAG: edges go from lower to higher positions of a random permutation.
struct random_dag {
  std::size_t n = 0;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;

  random_dag(std::mt19937_64& rng, std::size_t nodes, std::size_t max_preds) : n(nodes) {
    std::vector<std::uint32_t> order(n);
    for (std::uint32_t i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t pos = 1; pos < n; ++pos) {
      const std::size_t k = rng() % (max_preds + 1);
      for (std::size_t j = 0; j < k; ++j) edges.emplace_back(order[rng() % pos], order[pos]);
    }
  }
};

// Records a global order of starts and finishes; an edge u -> v holds when u finished before v
// started.
struct order_log {
  std::atomic<std::uint64_t> clock{0};
  std::vector<std::atomic<std::uint64_t>> start, finish;
  std::vector<std::atomic<int>> runs;
  explicit order_log(std::size_t n) : start(n), finish(n), runs(n) {}
  void enter(std::size_t v) { start[v] = ++clock; }
  void leave(std::size_t v) {
    runs[v]++;
    finish[v] = ++clock;
  }
};

brigade::task_graph build(const random_dag& d, order_log& log) {
  brigade::task_graph g("random");
  std::vector<brigade::graph_task> t;
  for (std::size_t v = 0; v < d.n; ++v)
    t.push_back(g.add("v" + std::to_string(v), [&log, v] {
      log.enter(v);
      log.leave(v);
    }));
  for (auto [a, b] : d.edges) t[a].precede(t[b]);
  return g;
}

void expect_respected(const random_dag& d, order_log& log, int runs) {
  for (std::size_t v = 0; v < d.n; ++v) ASSERT_EQ(log.runs[v].load(), runs) << "task v" << v;
  for (auto [a, b] : d.edges)
    ASSERT_LT(log.finish[a].load(), log.start[b].load()) << "edge v" << a << " -> v" << b;
}

TEST_P(graph_on_pool, random_dags_respect_every_dependency) {
  std::mt19937_64 rng(test_seed(61));
  for (int round = 0; round < 40; ++round) {
    random_dag d(rng, 1 + rng() % 300, 1 + round % 5);
    order_log log(d.n);
    auto g = build(d, log);
    g.run(pool());
    expect_respected(d, log, 1);
  }
}

TEST_P(graph_on_pool, a_graph_runs_again_without_rebuilding) {
  std::mt19937_64 rng(test_seed(62));
  random_dag d(rng, 200, 3);
  order_log log(d.n);
  auto g = build(d, log);
  for (int i = 0; i < 100; ++i) {
    g.run(pool());
    // The last run's order: every finish is after every start it depends on.
    for (auto [a, b] : d.edges) ASSERT_LT(log.finish[a].load(), log.start[b].load());
  }
  expect_respected(d, log, 100);
}

TEST_P(graph_on_pool, runs_from_a_worker_by_helping) {
  std::mt19937_64 rng(test_seed(63));
  random_dag d(rng, 150, 3);
  order_log log(d.n);
  auto g = build(d, log);
  pool().run([&] {
    for (int i = 0; i < 10; ++i) g.run();  // on this worker's pool
  });
  expect_respected(d, log, 10);
}

TEST_P(graph_on_pool, tasks_fork_and_join_inside) {
  brigade::task_graph g;
  std::vector<int> v(10000, 0);
  std::atomic<long> from_group{0};
  int from_join = 0;
  auto fill = g.add("fill", [&] {
    brigade::parallel_for(0, v.size(), [&](std::size_t i) { v[i] = static_cast<int>(i % 7); });
  });
  auto split = g.add("split", [&] {
    auto [a, b] = brigade::join([] { return 20; }, [] { return 22; });
    from_join = a + b;
  });
  auto group = g.add("group", [&] {
    brigade::task_group tg;
    for (std::size_t k = 0; k < 64; ++k) tg.run([&, k] { from_group += v[k]; });
    tg.wait();
  });
  group.succeed(fill, split);
  g.run(pool());
  EXPECT_EQ(from_join, 42);
  long expected = 0;
  for (std::size_t k = 0; k < 64; ++k) expected += static_cast<long>(k % 7);
  EXPECT_EQ(from_group.load(), expected);
}

TEST_P(graph_on_pool, a_task_can_be_a_whole_graph) {
  std::atomic<int> clock{0};
  int before = 0, after = 0;
  std::vector<int> inner_at(5, 0);
  brigade::task_graph inner("inner");
  brigade::graph_task prev;
  for (int i = 0; i < 5; ++i) {
    auto t = inner.add([&, i] { inner_at[static_cast<std::size_t>(i)] = ++clock; });
    if (!prev.empty()) prev.precede(t);
    prev = t;
  }
  brigade::task_graph middle("middle");  // a graph of a graph
  middle.add_graph(inner);
  brigade::task_graph outer("outer");
  auto a = outer.add("a", [&] { before = ++clock; });
  auto sub = outer.add_graph("sub", middle);
  auto z = outer.add("z", [&] { after = ++clock; });
  a.precede(sub);
  sub.precede(z);
  for (int run = 0; run < 3; ++run) {
    outer.run(pool());
    for (int i = 0; i < 5; ++i) {
      EXPECT_GT(inner_at[static_cast<std::size_t>(i)], before);
      EXPECT_LT(inner_at[static_cast<std::size_t>(i)], after);
    }
  }
}

TEST_P(graph_on_pool, a_conditional_back_edge_makes_a_loop) {
  const int n = 50;
  int body_runs = 0, done_runs = 0, i = 0;
  brigade::task_graph g("loop");
  auto init = g.add("init", [&] { i = 0; });
  auto body = g.add("body", [&] { ++body_runs; });
  auto more = g.add_condition("more?", [&] { return ++i < n ? 0 : 1; });
  auto done = g.add("done", [&] { ++done_runs; });
  init.precede(body);
  body.precede(more);
  more.precede(body, done);  // 0: again, 1: done
  for (int run = 1; run <= 5; ++run) {
    g.run(pool());
    EXPECT_EQ(body_runs, n * run);
    EXPECT_EQ(done_runs, run);
  }
}

TEST_P(graph_on_pool, a_condition_picks_one_branch) {
  std::array<std::atomic<int>, 3> ran{};
  std::atomic<int> after{0};
  int choice = 0;
  brigade::task_graph g;
  auto pick = g.add_condition("pick", [&] { return choice; });
  for (int b = 0; b < 3; ++b) {
    auto branch = g.add([&, b] { ran[static_cast<std::size_t>(b)]++; });
    pick.precede(branch);
    branch.precede(g.add([&] { after++; }));
  }
  for (choice = 0; choice < 4; ++choice) g.run(pool());  // 3: out of range, none runs
  for (auto& r : ran) EXPECT_EQ(r.load(), 1);
  EXPECT_EQ(after.load(), 3);
}

TEST(task_graph, a_cycle_is_rejected_with_the_names_of_its_tasks) {
  brigade::pool p(2);
  brigade::task_graph g("cyclic");
  auto start = g.add("start", [] {});
  auto a = g.add("alpha", [] {});
  auto b = g.add("beta", [] {});
  auto c = g.add("gamma", [] {});
  start.precede(a);
  a.precede(b);
  b.precede(c);
  c.precede(a);
  try {
    g.run(p);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cycle"), std::string::npos) << what;
    // The cycle may be named from any of its tasks; each appears, "start" does not.
    EXPECT_TRUE(what.find("alpha -> beta -> gamma -> alpha") != std::string::npos ||
                what.find("beta -> gamma -> alpha -> beta") != std::string::npos ||
                what.find("gamma -> alpha -> beta -> gamma") != std::string::npos)
        << what;
    EXPECT_EQ(what.find("start"), std::string::npos) << what;
  }
  brigade::task_graph self;
  auto s = self.add([] {});
  s.precede(s);
  EXPECT_THROW(self.run(p), std::invalid_argument);
}

TEST_P(graph_on_pool, an_exception_cancels_what_has_not_started_and_the_graph_runs_again) {
  std::atomic<int> first{0}, after{0};
  bool fail = true;
  brigade::task_graph g;
  auto a = g.add("a", [&] { first++; });
  auto b = g.add("b", [&] {
    if (fail) throw std::runtime_error("b failed");
  });
  a.precede(b);
  auto prev = b;
  for (int i = 0; i < 20; ++i) {  // a chain after b: none of it may start
    auto t = g.add([&] { after++; });
    prev.precede(t);
    prev = t;
  }
  try {
    g.run(pool());
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "b failed");
  }
  EXPECT_EQ(first.load(), 1);
  EXPECT_EQ(after.load(), 0);
  fail = false;
  g.run(pool());
  EXPECT_EQ(first.load(), 2);
  EXPECT_EQ(after.load(), 20);
}

TEST_P(graph_on_pool, one_exception_reaches_the_caller_when_many_throw) {
  brigade::task_graph g;
  for (int i = 0; i < 100; ++i) g.add([i] { throw std::runtime_error(std::to_string(i)); });
  for (int run = 0; run < 3; ++run) EXPECT_THROW(g.run(pool()), std::runtime_error);
}

brigade::task<int> await_graph(brigade::task_graph& g, brigade::pool& p) {
  co_await g.run_async(p);
  co_return 1;
}

TEST_P(graph_on_pool, a_coroutine_awaits_a_run) {
  std::mt19937_64 rng(test_seed(64));
  random_dag d(rng, 100, 3);
  order_log log(d.n);
  auto g = build(d, log);
  EXPECT_EQ(brigade::sync_wait(await_graph(g, pool())), 1);
  expect_respected(d, log, 1);
}

TEST(task_graph, a_coroutine_on_an_event_loop_resumes_on_its_loop) {
  brigade::runtime rt(brigade::runtime::options{.threads = 2});
  brigade::task_graph g;
  std::atomic<int> n{0};
  for (int i = 0; i < 10; ++i) g.add([&] { n++; });
  auto body = [&]() -> brigade::task<bool> {
    const auto loop_thread = std::this_thread::get_id();
    for (int i = 0; i < 20; ++i) {
      co_await g.run_async(rt.pool());
      if (std::this_thread::get_id() != loop_thread) co_return false;
    }
    co_return true;
  };
  EXPECT_TRUE(rt.block_on(body()));
  EXPECT_EQ(n.load(), 200);
  auto throwing = [&]() -> brigade::task<void> {
    brigade::task_graph bad;
    bad.add([] { throw std::logic_error("inside"); });
    co_await bad.run_async(rt.pool());
  };
  EXPECT_THROW(rt.block_on(throwing()), std::logic_error);
  auto cyclic = [&]() -> brigade::task<void> {
    brigade::task_graph loop;
    auto a = loop.add([] {});
    a.precede(a);
    co_await loop.run_async(rt.pool());
  };
  EXPECT_THROW(rt.block_on(cyclic()), std::invalid_argument);
}

TEST(task_graph, rerunning_allocates_nothing) {
#ifdef BRIGADE_TEST_SANITIZED
  ASSERT_GT(hooks_installed, 0) << "the sanitizer's malloc hook is not installed";
#endif
  brigade::pool p(2);
  // Both workers must be running before counting: a thread starting up allocates (under a
  // sanitizer, its runtime calls malloc for the new thread), which is not the graph's doing.
  p.run([] {
    std::atomic<int> arrived{0};
    auto meet = [&] {
      arrived.fetch_add(1);
      while (arrived.load() < 2) std::this_thread::yield();
    };
    brigade::join(meet, meet);  // the second can only finish once the other worker took it
  });
  std::mt19937_64 rng(test_seed(65));
  random_dag d(rng, 300, 3);
  order_log log(d.n);
  auto g = build(d, log);
  g.run(p);                                // lays the graph out
  static int* volatile escaped = nullptr;  // volatile: the allocation cannot be elided
  counting = true;                         // the counter counts at all
  escaped = new int(1);
  counting = false;
  delete escaped;
  ASSERT_EQ(allocations.load(), 1);
  allocations = 0;
  counting = true;
  g.run(p);  // from a thread outside the pool
  counting = false;
  EXPECT_EQ(allocations.load(), 0);

  long inside = -1;
  p.run([&] {  // from a worker, 100 times
    g.run();
    allocations = 0;
    counting = true;
    for (int i = 0; i < 100; ++i) g.run();
    counting = false;
    inside = allocations.load();
  });
  EXPECT_EQ(inside, 0);
  expect_respected(d, log, 103);
}

TEST(task_graph, misuse_is_reported) {
  brigade::pool p(2);
  brigade::task_graph again("again");  // a graph inside itself: already running
  again.add_graph(again);
  EXPECT_THROW(again.run(p), std::logic_error);
  EXPECT_THROW(again.run(p), std::logic_error);  // and still usable

  brigade::task_graph g, other;  // empty graphs run at once
  g.run();
  brigade::sync_wait([&]() -> brigade::task<void> { co_await g.run_async(); }());
  auto a = g.add([] {});
  auto b = other.add([] {});
  EXPECT_THROW(a.precede(b), std::invalid_argument);
  EXPECT_THROW(a.precede(brigade::graph_task{}), std::invalid_argument);
  brigade::task_graph moved = std::move(g);
  EXPECT_EQ(moved.size(), 1u);
  EXPECT_THROW(g.run(), std::logic_error);  // NOLINT(bugprone-use-after-move): on purpose
}

TEST(task_graph, dot_draws_the_recipe) {
  brigade::task_graph sub("sauce");
  sub.add("stir", [] {});
  brigade::task_graph g("dinner \"deluxe\"");
  auto chop = g.add("chop", [] {});
  auto check = g.add_condition("done?", [] { return 0; });
  auto sauce = g.add_graph(sub);
  auto unnamed = g.add([] {});
  chop.precede(check);
  check.precede(sauce, unnamed);
  const std::string dot = g.dot();
  EXPECT_NE(dot.find("digraph \"dinner \\\"deluxe\\\"\" {"), std::string::npos) << dot;
  EXPECT_NE(dot.find("t0 [label=\"chop\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("t1 [label=\"done?\", shape=diamond]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"sauce\", shape=box3d"), std::string::npos) << dot;
  EXPECT_NE(dot.find("t3 [label=\"task 3\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("t0 -> t1;"), std::string::npos) << dot;
  EXPECT_NE(dot.find("t1 -> t2 [style=dashed, label=\"0\"];"), std::string::npos) << dot;
  EXPECT_NE(dot.find("t1 -> t3 [style=dashed, label=\"1\"];"), std::string::npos) << dot;
  EXPECT_EQ(dot.back(), '\n');
}

BRIGADE_INSTANTIATE_ON_POOLS(graph_on_pool);

}  // namespace
