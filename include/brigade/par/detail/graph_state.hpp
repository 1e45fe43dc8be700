// The machinery under brigade::task_graph: the tasks as built, the nodes as run, and one run's
// bookkeeping. The compiled parts are src/par/graph_build.cpp (validation, layout, Graphviz) and
// src/par/graph_run.cpp (scheduling, with the protocol described at its top).
#pragma once

#include <brigade/core/detail/atomic.hpp>
#include <brigade/core/detail/resume_context.hpp>
#include <brigade/par/detail/graph_completion.hpp>
#include <brigade/pool/detail/job.hpp>
#include <brigade/pool/detail/scheduler.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace brigade::detail {

class graph_state;

/// What one task does, type-erased. run() returns the index of the successor to run for a
/// condition task; plain tasks return 0, which is ignored.
class graph_work {
 public:
  virtual ~graph_work() = default;
  virtual std::size_t run() = 0;
};

template <class F>
class graph_plain_work final : public graph_work {
 public:
  explicit graph_plain_work(F f) : f_(std::move(f)) {}
  std::size_t run() override {
    f_();
    return 0;
  }

 private:
  F f_;
};

template <class F>
class graph_condition_work final : public graph_work {
 public:
  explicit graph_condition_work(F f) : f_(std::move(f)) {}
  // A negative index converts to a huge one: out of range, so no successor runs.
  std::size_t run() override { return static_cast<std::size_t>(f_()); }

 private:
  F f_;
};

/// A task that runs a whole other graph (composition); the other graph must outlive this one.
class graph_compose_work final : public graph_work {
 public:
  explicit graph_compose_work(graph_state& sub) noexcept : sub_(sub) {}
  std::size_t run() override;  // src/par/graph_run.cpp
  graph_state& sub() const noexcept { return sub_; }

 private:
  graph_state& sub_;
};

enum class graph_task_kind : std::uint8_t { plain, condition, compose };

/// One node at run time. The job is embedded, so scheduling a ready node allocates nothing;
/// one node per cache line, so that neighbours' join counters do not share a line.
struct alignas(cache_line) graph_node final : job {
  graph_node() noexcept : job(&run_node) {}
  static void run_node(job& j) noexcept;  // src/par/graph_run.cpp

  // Predecessors (unconditional edges) still to finish in this run; the one that takes it to
  // zero runs the node. Reset to strong_in by the node itself when it starts (graph_run.cpp).
  atomic<std::uint32_t> join{0};
  std::uint32_t strong_in = 0;   // unconditional in-edges
  std::uint32_t succ_count = 0;  // out-edges, in the order they were added
  graph_node* const* succ = nullptr;
  graph_work* work = nullptr;
  graph_state* owner = nullptr;
  bool condition = false;
  // Tracing only: the task's label (interned), and the id its next segment will have, so
  // that predecessors can record their edges into it before it starts. Relaxed: written
  // before the run publishes the node, or by the node itself after every predecessor
  // recorded its edge (the join counter orders those).
  const char* label = nullptr;
  atomic<std::uint64_t> trace_id{0};
};

/// A graph's tasks and edges as built, its layout for running, and the state of its one run.
class graph_state {
 public:
  explicit graph_state(std::string name) : name_(std::move(name)) {}
  graph_state(const graph_state&) = delete;
  graph_state& operator=(const graph_state&) = delete;
  ~graph_state();

  // ---- building (not thread-safe; never while running) ----
  std::uint32_t add(std::unique_ptr<graph_work> work, std::string name, graph_task_kind kind);
  void add_edge(std::uint32_t from, std::uint32_t to);
  void set_task_name(std::uint32_t i, std::string name) {
    specs_[i].name = std::move(name);
    labels_ready_ = false;
  }
  const std::string& task_name(std::uint32_t i) const noexcept { return specs_[i].name; }
  /// The name used in messages and drawings: the given one, else "task <index>".
  std::string display_name(std::uint32_t i) const;
  std::size_t size() const noexcept { return specs_.size(); }
  const std::string& name() const noexcept { return name_; }
  std::string dot() const;

  // ---- running ----
  /// Runs the graph on s and waits: helping when the caller is a worker of s, else sleeping.
  /// Throws std::invalid_argument on a cycle, std::logic_error when already running, or the
  /// first exception a task threw.
  void run_blocking(scheduler& s);
  /// The coroutine form, in three steps: begin (validate, claim; true when there is nothing to
  /// run), start (from await_suspend), end (from await_resume: release, rethrow).
  bool begin_async();
  void start_async(scheduler& s, std::coroutine_handle<> h, resume_context* where) noexcept;
  void end_run();

 private:
  friend struct graph_node;
  friend class graph_compose_work;

  struct task_spec {
    std::unique_ptr<graph_work> work;
    std::string name;
    graph_task_kind kind;
  };
  struct starter final : job {
    explicit starter(graph_state& g) noexcept : job(&run_it), owner(g) {}
    static void run_it(job& j) noexcept;
    graph_state& owner;
  };

  void claim();
  void release_claim() noexcept;
  void prepare();  // builds the run layout when the graph changed; throws on a cycle
  [[noreturn]] void throw_cycle(const std::vector<std::uint32_t>& strong_left) const;
  void reset_for_run() noexcept;
  void trace_prepare(std::uint64_t caller) noexcept;  // tracing on: ids, labels, source edges
  void trace_join() noexcept;  // tracing on: the caller's strand continues after the run
  void start(worker& w) noexcept;
  graph_node* step(graph_node& n, worker& w) noexcept;
  void finish_one() noexcept;
  void fail(std::exception_ptr e) noexcept;

  // As built.
  std::string name_;
  std::vector<task_spec> specs_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges_;  // (from, to), in added order

  // As laid out by prepare().
  bool changed_ = true;         // specs_ or edges_ changed since the last prepare()
  bool counters_dirty_ = true;  // some join counter may not equal its strong_in
  bool has_conditions_ = false;
  bool labels_ready_ = false;  // nodes_[i].label interned for the current names
  std::unique_ptr<graph_node[]> nodes_;
  std::unique_ptr<graph_node*[]> succ_;
  std::vector<graph_node*> sources_;  // nodes without any in-edge

  // One run.
  atomic<bool> running_{false};  // claims the graph; acquire/release around a whole run
  starter starter_{*this};
  std::uint64_t trace_join_ = 0;  // tracing: the segment the caller continues in after the run
  std::exception_ptr error_;      // the first exception; written by the winner of failed_
  run_completion completion_;
  // Set by the first failing task; read relaxed as a hint to skip the tasks not yet started.
  // The winner's write of error_ reaches the waiter through pending_ and completion_.
  alignas(cache_line) atomic<bool> failed_{false};
  // Nodes made ready but not finished, plus one held by the starter until it has launched
  // every source. acq_rel decrements: the last one sees every node's effects; relaxed
  // increments (each before the push that publishes the new node).
  alignas(cache_line) atomic<std::size_t> pending_{0};
};

}  // namespace brigade::detail
