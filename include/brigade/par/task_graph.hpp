// brigade::task_graph — a recipe of tasks with dependencies, built once and run many times.
//
//   brigade::task_graph g("dinner");
//   auto chop = g.add("chop", [&] { ... });
//   auto boil = g.add("boil", [&] { ... });
//   auto serve = g.add("serve", [&] { ... });
//   chop.precede(serve);
//   boil.precede(serve);
//   g.run();                      // plain code: blocks (a pool worker helps meanwhile)
//   co_await g.run_async(pool);   // a coroutine: suspends, resumes on its own event loop
//
// Use a task_graph when the dependencies are known before running (a build, a stencil's
// wavefront, a data-processing recipe) and the same shape runs many times: running it again
// allocates nothing. Use join or task_group when the work is discovered while running (a task
// of a graph may do that too), parallel_for for loops, and brigade::pipeline for a stream of
// items flowing through stages.
#pragma once

#include <brigade/core/detail/resume_context.hpp>
#include <brigade/par/detail/graph_state.hpp>
#include <brigade/pool/pool.hpp>

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace brigade {

class task_graph;

/// A handle to one task of a task_graph: cheap to copy, valid as long as its graph lives
/// (moving the graph keeps it valid). Default-constructed: refers to no task.
///
/// Thread safety: building (precede, succeed, name) is not thread-safe and must not overlap a
/// run of the graph; name() may be read concurrently.
class graph_task {
 public:
  graph_task() noexcept = default;

  /// Adds edges this -> each of `next`: they run only after this task finished. On a
  /// condition task, each edge gets the next branch index (0, 1, ...) in the order added.
  /// Errors: std::invalid_argument when a handle is empty or belongs to another graph.
  template <std::same_as<graph_task>... More>
  graph_task& precede(graph_task next, More... more) {
    link(*this, next);
    (link(*this, more), ...);
    return *this;
  }

  /// Adds edges each of `before` -> this.
  template <std::same_as<graph_task>... More>
  graph_task& succeed(graph_task before, More... more) {
    link(before, *this);
    (link(more, *this), ...);
    return *this;
  }

  /// Names the task (used by dot() and by error messages).
  graph_task& name(std::string n) {
    check("name");
    g_->set_task_name(i_, std::move(n));
    return *this;
  }
  /// The name given, or "" when none was.
  const std::string& name() const {
    check("name");
    return g_->task_name(i_);
  }
  /// The task's position in the graph, counting from 0 in the order tasks were added.
  std::size_t index() const noexcept { return i_; }
  bool empty() const noexcept { return g_ == nullptr; }

  friend bool operator==(const graph_task&, const graph_task&) noexcept = default;

 private:
  friend class task_graph;
  graph_task(detail::graph_state* g, std::uint32_t i) noexcept : g_(g), i_(i) {}

  void check(const char* what) const {
    if (g_ == nullptr)
      throw std::invalid_argument(std::string("brigade::graph_task::") + what +
                                  ": the task handle is empty");
  }
  static void link(const graph_task& from, const graph_task& to) {
    from.check("precede");
    to.check("precede");
    if (from.g_ != to.g_)
      throw std::invalid_argument("brigade::graph_task::precede: tasks '" +
                                  from.g_->display_name(from.i_) + "' and '" +
                                  to.g_->display_name(to.i_) + "' belong to different graphs");
    from.g_->add_edge(from.i_, to.i_);
  }

  detail::graph_state* g_ = nullptr;
  std::uint32_t i_ = 0;
};

/// A directed graph of tasks run on a pool, each after the tasks that precede it.
///
/// Tasks are plain callables (`void()`), condition tasks (return the index of the one successor
/// to run next: loops and branches without rebuilding), or whole other graphs (composition).
/// Inside a task, fork-join (join, parallel_for, task_group, even running another graph) just
/// works: the task runs on a pool worker. A task with no predecessor at all starts the run; a
/// task whose only predecessors are condition tasks runs only when one picks it.
///
/// Reuse: run() may be called any number of times; the layout is computed on the first run
/// after the graph changed, and running an unchanged graph again allocates nothing of its own.
/// (The pool underneath may: run from a thread outside the pool, its injection queue allocates
/// a chunk once every 64 submissions; a task that makes more successors ready at once than a
/// worker's deque holds grows that deque, once.)
///
/// Errors: a cycle made of unconditional edges is rejected when the graph is run, with a
/// std::invalid_argument naming the tasks on it. When a task throws, tasks that have not
/// started are skipped, running ones finish, and the first exception is rethrown by run();
/// the graph can be run again afterwards.
///
/// Thread safety: distinct graphs are independent. One graph runs once at a time (a second
/// concurrent run, or a graph composed into itself, throws std::logic_error); building or
/// destroying it must not overlap a run. Tasks of one run run concurrently on other threads.
/// Memory ordering: everything a task did happens before every task it precedes starts, and
/// everything every task did happens before run() returns (or the coroutine resumes).
class task_graph {
 public:
  /// An empty graph; `name` labels it in dot() and error messages.
  explicit task_graph(std::string name = {})
      : state_(std::make_unique<detail::graph_state>(std::move(name))) {}
  task_graph(task_graph&&) noexcept = default;
  task_graph& operator=(task_graph&&) noexcept = default;
  task_graph(const task_graph&) = delete;
  task_graph& operator=(const task_graph&) = delete;
  ~task_graph() = default;

  /// Adds a task that calls f() (which must return void). Complexity: amortized O(1).
  template <class F>
  graph_task add(F&& f) {
    return add(std::string{}, std::forward<F>(f));
  }
  /// Adds a named task.
  template <class F>
  graph_task add(std::string name, F&& f) {
    static_assert(std::is_invocable_v<std::decay_t<F>&>, "a graph task takes no arguments");
    static_assert(std::is_void_v<std::invoke_result_t<std::decay_t<F>&>>,
                  "a graph task returns void; to choose a successor, use add_condition");
    return emplace(std::make_unique<detail::graph_plain_work<std::decay_t<F>>>(std::forward<F>(f)),
                   std::move(name), detail::graph_task_kind::plain);
  }

  /// Adds a condition task: f() returns the index of the successor to run next (edges are
  /// numbered in the order they were added from this task). An index out of range, negative
  /// included, runs none. Its edges do not count as dependencies, so they may close loops.
  template <class F>
  graph_task add_condition(F&& f) {
    return add_condition(std::string{}, std::forward<F>(f));
  }
  /// Adds a named condition task.
  template <class F>
  graph_task add_condition(std::string name, F&& f) {
    static_assert(std::is_invocable_v<std::decay_t<F>&>, "a condition task takes no arguments");
    static_assert(std::is_integral_v<std::invoke_result_t<std::decay_t<F>&>>,
                  "a condition task returns the index of the successor to run");
    return emplace(
        std::make_unique<detail::graph_condition_work<std::decay_t<F>>>(std::forward<F>(f)),
        std::move(name), detail::graph_task_kind::condition);
  }

  /// Adds a task that runs all of `sub` (which must outlive this graph, and not run on its
  /// own at the same time).
  graph_task add_graph(task_graph& sub) { return add_graph(sub.state().name(), sub); }
  /// Adds a named task that runs all of `sub`.
  graph_task add_graph(std::string name, task_graph& sub) {
    return emplace(std::make_unique<detail::graph_compose_work>(sub.state()), std::move(name),
                   detail::graph_task_kind::compose);
  }

  /// Runs the graph on the calling worker's pool, else on pool::global(), and returns when
  /// every task that runs has finished; rethrows the first exception a task threw.
  ///
  /// Errors: std::invalid_argument when unconditional edges form a cycle (names the tasks on
  /// it); std::logic_error when the graph is already running.
  /// Complexity: O(tasks + edges) the first time after a change, then O(tasks that run +
  /// their edges) and no allocation.
  /// Blocking: on a worker of that pool the caller helps (runs other jobs) until done; any
  /// other thread sleeps.
  void run() { state().run_blocking(detail::ambient_scheduler()); }
  /// Runs the graph on pool p.
  void run(pool& p) { state().run_blocking(detail::pool_access::of(p)); }

  /// `co_await graph.run_async(p)`: runs the graph on p; the coroutine suspends and resumes on
  /// its event loop's thread when awaited from a loop, else on the worker that finished the
  /// last task. Errors as for run(), thrown by the co_await.
  class run_awaiter {
   public:
    run_awaiter(detail::graph_state& g, detail::scheduler& s) noexcept : g_(g), s_(s) {}
    bool await_ready() { return g_.begin_async(); }
    void await_suspend(std::coroutine_handle<> h) noexcept {
      g_.start_async(s_, h, detail::current_resume_context());
    }
    void await_resume() { g_.end_run(); }

   private:
    detail::graph_state& g_;
    detail::scheduler& s_;
  };
  /// run_async on pool p.
  [[nodiscard]] run_awaiter run_async(pool& p) {
    return run_awaiter{state(), detail::pool_access::of(p)};
  }
  /// run_async on the calling worker's pool, else pool::global().
  [[nodiscard]] run_awaiter run_async() {
    return run_awaiter{state(), detail::ambient_scheduler()};
  }

  /// The graph in Graphviz's language (`dot -Tsvg`): boxes for tasks, diamonds for conditions
  /// (dashed edges labelled with their index), 3-D boxes for sub-graphs.
  std::string dot() const { return state().dot(); }

  /// The number of tasks.
  std::size_t size() const { return state().size(); }
  const std::string& name() const { return state().name(); }

 private:
  graph_task emplace(std::unique_ptr<detail::graph_work> w, std::string name,
                     detail::graph_task_kind kind) {
    detail::graph_state& g = state();
    return graph_task{&g, g.add(std::move(w), std::move(name), kind)};
  }
  detail::graph_state& state() const {
    if (!state_) throw std::logic_error("brigade::task_graph: used after being moved from");
    return *state_;
  }

  std::unique_ptr<detail::graph_state> state_;
};

}  // namespace brigade
