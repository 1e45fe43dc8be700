// Fuzzes brigade::task_graph (include/brigade/par/task_graph.hpp): the input is a program that
// builds a graph and runs it on a pool of 2 threads, checked against a model (the tasks, the
// edges as added, which tasks throw).
// Each byte is one operation: its low 2 bits the kind, the rest a detail; some read the next
// byte or two as operands. Kinds: add a task (named, from the next bytes, 1 time in 4); add an
// edge between two tasks (operands past the last task give an empty handle or a task of
// another graph; self edges, duplicates and cycles are allowed to be added); run the graph
// (and sometimes draw it with dot()); make a task throw or stop throwing. At most 48 tasks,
// 256 edges, 6 runs.
// Checks: an edge with an empty handle, or between tasks of different graphs, throws
// std::invalid_argument and adds nothing; a run of a graph whose edges form a cycle (a self edge
// included) throws std::invalid_argument naming a cycle, and runs nothing; otherwise, without
// throwing tasks, every task runs exactly once, after every task that precedes it finished; with
// throwing tasks, run() rethrows one of their exceptions, no task runs twice, and a task that ran
// had every predecessor finish without throwing before it started. The graph runs again after a
// failed run.
#include "fuzz_check.hpp"

#include <brigade/par/task_graph.hpp>
#include <brigade/pool/pool.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

// An invariant; when it fails, the line says which (libFuzzer then saves the input).
constexpr std::size_t max_tasks = 48;
constexpr std::size_t max_edges = 256;
constexpr int max_runs = 6;

// A task's exception, telling which task threw.
struct task_failed {
  std::size_t index;
};

// What each task saw in the current run: a logical clock read when it started and when it
// finished (0: did not), and how many times it started.
struct record {
  std::atomic<std::uint64_t> started{0};
  std::atomic<std::uint64_t> finished{0};
  std::atomic<int> runs{0};
  std::atomic<bool> throws{false};
};

struct state {
  std::atomic<std::uint64_t> clock{1};
  std::vector<record> records = std::vector<record>(max_tasks);

  void body(std::size_t i) {
    record& r = records[i];
    r.runs.fetch_add(1, std::memory_order_relaxed);
    r.started.store(clock.fetch_add(1), std::memory_order_relaxed);
    if (r.throws.load(std::memory_order_relaxed)) throw task_failed{i};
    r.finished.store(clock.fetch_add(1), std::memory_order_relaxed);
  }
  void reset() {
    for (record& r : records) {
      r.started.store(0, std::memory_order_relaxed);
      r.finished.store(0, std::memory_order_relaxed);
      r.runs.store(0, std::memory_order_relaxed);
    }
  }
};

brigade::pool& fuzz_pool() {
  static brigade::pool p(2);
  return p;
}

bool has_cycle(std::size_t n, const std::vector<std::pair<std::size_t, std::size_t>>& edges) {
  std::vector<std::vector<std::size_t>> succ(n);
  for (auto [a, b] : edges) succ[a].push_back(b);
  std::vector<int> color(n, 0);  // 0 new, 1 on the path, 2 done
  std::vector<std::pair<std::size_t, std::size_t>> stack;
  for (std::size_t s = 0; s < n; ++s) {
    if (color[s] != 0) continue;
    stack.emplace_back(s, 0);
    color[s] = 1;
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      if (next < succ[v].size()) {
        const std::size_t w = succ[v][next++];
        if (color[w] == 1) return true;
        if (color[w] == 0) {
          color[w] = 1;
          stack.emplace_back(w, 0);
        }
      } else {
        color[v] = 2;
        stack.pop_back();
      }
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  state st;
  brigade::task_graph g("fuzz");
  brigade::task_graph other("other");
  const brigade::graph_task foreign = other.add([] {});
  std::vector<brigade::graph_task> tasks;
  std::vector<std::pair<std::size_t, std::size_t>> edges;
  int runs = 0;
  std::size_t i = 0;
  auto operand = [&]() -> std::size_t { return i < size ? bytes[i++] : 0; };

  while (i < size) {
    const unsigned op = bytes[i] & 3;
    const unsigned detail = bytes[i] >> 2;
    ++i;
    switch (op) {
      case 0: {  // add a task
        if (tasks.size() == max_tasks) break;
        const std::size_t index = tasks.size();
        auto body = [&st, index] { st.body(index); };
        if ((detail & 3) == 0) {
          std::string name;
          for (std::size_t n = detail >> 2; n > 0 && i < size; --n) name += char(bytes[i++]);
          tasks.push_back(g.add(std::move(name), body));
        } else {
          tasks.push_back(g.add(body));
        }
        fuzz_check(tasks.back().index() == index && g.size() == index + 1);
        break;
      }
      case 1: {  // add an edge a -> b
        const std::size_t a = operand() % (tasks.size() + 2);
        const std::size_t b = operand() % (tasks.size() + 2);
        auto handle = [&](std::size_t x) {
          return x < tasks.size() ? tasks[x] : x == tasks.size() ? brigade::graph_task{} : foreign;
        };
        const bool known = a < tasks.size() && b < tasks.size();
        const bool empty = a == tasks.size() || b == tasks.size();
        const bool foreign_a = a > tasks.size();
        const bool foreign_b = b > tasks.size();
        if (known && edges.size() == max_edges) break;
        bool refused = false;
        try {
          if ((detail & 1) != 0)
            handle(a).precede(handle(b));
          else
            handle(b).succeed(handle(a));
        } catch (const std::invalid_argument&) {
          refused = true;
        }
        // Two tasks of the other graph make an edge there (which is never run).
        fuzz_check(refused == (empty || foreign_a != foreign_b));
        if (known) edges.emplace_back(a, b);
        break;
      }
      case 2: {  // run
        if (runs == max_runs) break;
        ++runs;
        if ((detail & 7) == 0) {
          const std::string dot = g.dot();
          fuzz_check(dot.find("digraph") == 0);
          if (!tasks.empty())
            fuzz_check(dot.find(" t" + std::to_string(tasks.size() - 1) + " [") !=
                       std::string::npos);
        }
        st.reset();
        const bool cycle = has_cycle(tasks.size(), edges);
        bool any_throws = false;
        for (std::size_t t = 0; t < tasks.size(); ++t)
          any_throws = any_throws || st.records[t].throws.load();
        bool cycle_error = false;
        bool task_error = false;
        try {
          g.run(fuzz_pool());
        } catch (const std::invalid_argument& e) {
          cycle_error = std::string(e.what()).find("cycle") != std::string::npos;
          fuzz_check(cycle_error);
        } catch (const task_failed& e) {
          task_error = true;
          fuzz_check(e.index < tasks.size() && st.records[e.index].throws.load());
        }
        fuzz_check(cycle_error == cycle);
        if (cycle) {
          for (std::size_t t = 0; t < tasks.size(); ++t) fuzz_check(st.records[t].runs.load() == 0);
          break;
        }
        fuzz_check(task_error == any_throws);
        for (std::size_t t = 0; t < tasks.size(); ++t) {
          const record& r = st.records[t];
          fuzz_check(r.runs.load() <= 1);
          if (!any_throws) fuzz_check(r.runs.load() == 1 && r.finished.load() != 0);
        }
        for (auto [a, b] : edges) {
          const record& rb = st.records[b];
          if (rb.runs.load() == 0) continue;
          const record& ra = st.records[a];
          fuzz_check(ra.finished.load() != 0 && ra.finished.load() < rb.started.load());
        }
        break;
      }
      default: {  // toggle whether a task throws
        if (tasks.empty()) break;
        record& r = st.records[detail % tasks.size()];
        r.throws.store(!r.throws.load());
        break;
      }
    }
  }
  return 0;
}
