// Running a brigade::task_graph on a pool.
//
// The protocol, in short:
//
// - Readiness. Each node has an atomic join counter holding the number of its unconditional
//   predecessors still to finish. A finishing node decrements each successor's counter
//   (acq_rel: release publishes the node's effects, acquire in the decrement that reaches zero
//   sees every predecessor's); the one that reaches zero makes the successor ready. A successor
//   with a single unconditional predecessor is ready without touching its counter.
// - Continuation passing. Of the successors a node makes ready, the first runs next on the same
//   worker, in the same loop (no deque round trip); the others are pushed on the worker's deque
//   for thieves. A condition node makes exactly the successor it picks ready (or none).
// - Reset. A node with two or more unconditional predecessors stores strong_in back into its
//   counter when it starts: all its predecessors have decremented it by then, so nobody races
//   the store, and after a complete run of a graph without conditions every counter is ready
//   for the next run. After a failed run, or any run of a graph with conditions (branches not
//   taken leave counters half-way), the next run resets every counter first.
// - Completion. pending_ counts nodes made ready and not yet finished, plus one held by the
//   starter while it launches the sources. A node handing its slot to its continuation leaves
//   it unchanged; each extra ready successor adds one before it is pushed; a node with no
//   ready successor subtracts one. The decrement to zero signals the waiter (run_completion),
//   which makes that decrement the last access to the graph by any worker: every other frame
//   that touches the graph belongs to a node or to the starter, each holding a count.
// - Failure. The first exception is kept (failed_ picks the winner) and later nodes skip their
//   work and stop propagating; the counters left half-way are reset by the next run.
#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/par/detail/graph_state.hpp>
#include <brigade/par/detail/lazy_split.hpp>

#include <exception>
#include <utility>

namespace brigade::detail {

std::size_t graph_compose_work::run() {
  sub_.run_blocking(current_worker()->sched());  // tasks always run on a worker
  return 0;
}

void graph_node::run_node(job& j) noexcept {
  auto& first = static_cast<graph_node&>(j);
  graph_state& g = *first.owner;
  worker& w = *current_worker();
  // step() returns null after its last access to the graph (see finish_one).
  for (graph_node* n = &first; n != nullptr; n = g.step(*n, w)) {
  }
}

void graph_state::starter::run_it(job& j) noexcept {
  static_cast<starter&>(j).owner.start(*current_worker());
}

void graph_state::reset_for_run() noexcept {
  // All relaxed: the run's first push or inject (release) publishes them to the workers, and
  // the previous run's effects reached this thread through its completion.
  if (counters_dirty_) {
    for (std::size_t v = 0, n = specs_.size(); v < n; ++v)
      nodes_[v].join.store(nodes_[v].strong_in, memory_order_relaxed);
    counters_dirty_ = false;
  }
  failed_.store(false, memory_order_relaxed);
  error_ = nullptr;
  pending_.store(sources_.size() + 1, memory_order_relaxed);
}

// Tracing (on only): every node's next segment id is reserved before the run, so a finishing
// node records its edge into each successor (and a sink into the caller's continuation) before
// it hands the successor on. The span then follows the graph's real dependencies.
void graph_state::trace_prepare(std::uint64_t caller) noexcept {
  const std::size_t n = specs_.size();
  if (!labels_ready_) {
    for (std::size_t v = 0; v < n; ++v) {
      const std::string& own = specs_[v].name.empty() ? name_ : specs_[v].name;
      nodes_[v].label = own.empty() ? nullptr : tracing::intern_label(own.c_str());
    }
    labels_ready_ = true;
  }
  for (std::size_t v = 0; v < n; ++v)
    nodes_[v].trace_id.store(tracing::new_segment_id(), memory_order_relaxed);
  trace_join_ = tracing::new_segment_id();
  if (caller == 0) return;  // no strand was open: the sources start the trace's chains
  for (graph_node* s : sources_)
    tracing::record(tracing::kind::edge, caller, s->trace_id.load(memory_order_relaxed), nullptr);
  tracing::record(tracing::kind::edge, caller, trace_join_, nullptr);
}

void graph_state::trace_join() noexcept {
  if (trace_join_ == 0) return;
  tracing::begin_segment_as(std::exchange(trace_join_, 0), nullptr);
}

void graph_state::start(worker& w) noexcept {
  // Lazy splitting over the sources: each piece runs its sources' chains in place and offers
  // the rest of its range to thieves, so a graph with many sources neither fills one deque
  // nor waits for one worker to reach them. Neither the body nor the splitting throws.
  auto body = [this](std::size_t b, std::size_t e) {
    worker& here = *current_worker();  // a stolen piece runs on its thief
    for (std::size_t i = b; i < e; ++i)
      for (graph_node* n = sources_[i]; n != nullptr; n = step(*n, here)) {
      }
  };
  const std::size_t n = sources_.size();
  if (n == 1) {
    body(0, 1);
  } else {
    for_range(w.sched(), 0, n, auto_plan(n, w.sched().size()), body);
  }
  finish_one();  // the starter's own count: last access
}

graph_node* graph_state::step(graph_node& n, worker& w) noexcept {
  if (failed_.load(memory_order_relaxed)) {
    finish_one();
    return nullptr;
  }
  // Relaxed: every predecessor has already decremented (that is why we run); the next run's
  // decrements happen after this run's completion.
  if (n.strong_in > 1) n.join.store(n.strong_in, memory_order_relaxed);
  std::uint64_t traced = 0;  // the node's segment id, when tracing
  if (tracing::on()) {
    traced = n.trace_id.load(memory_order_relaxed);
    if (traced != 0) {
      n.trace_id.store(tracing::new_segment_id(), memory_order_relaxed);  // a loop's next visit
      tracing::begin_segment_as(traced, n.label);
    }
  }
  std::size_t pick = 0;
  try {
    pick = n.work->run();
  } catch (...) {
    if (traced != 0) tracing::end_segment();
    fail(std::current_exception());
    finish_one();
    return nullptr;
  }
  // Fork-join inside the task may have moved it to a later segment: the edges leave from that.
  if (traced != 0) traced = tracing::end_segment();
  auto edge_to = [traced](std::uint64_t to) {
    if (traced != 0 && to != 0) tracing::record(tracing::kind::edge, traced, to, nullptr);
  };
  if (n.condition) {
    if (pick < n.succ_count) {
      edge_to(n.succ[pick]->trace_id.load(memory_order_relaxed));
      return n.succ[pick];  // our pending slot passes to it
    }
    edge_to(trace_join_);
    finish_one();
    return nullptr;
  }
  if (n.succ_count == 0) edge_to(trace_join_);
  graph_node* next = nullptr;
  for (std::uint32_t i = 0; i < n.succ_count; ++i) {
    graph_node* s = n.succ[i];
    edge_to(s->trace_id.load(memory_order_relaxed));
    // acq_rel: see the protocol at the top of this file.
    if (s->strong_in != 1 && s->join.fetch_sub(1, memory_order_acq_rel) != 1) continue;
    if (next == nullptr) {
      next = s;
      continue;
    }
    // Relaxed: the push below publishes s after this increment, so s's own decrement comes
    // after it in pending_'s modification order.
    pending_.fetch_add(1, memory_order_relaxed);
    // A deque that is full and cannot grow (no memory for a bigger ring): s runs here, now,
    // with no allocation (it is ready; the order of ready nodes is free).
    if (!w.try_push(s)) [[unlikely]]
      s->execute();
  }
  if (next == nullptr) finish_one();
  return next;
}

void graph_state::finish_one() noexcept {
  // acq_rel: release publishes this node's effects; the decrement to zero acquires every
  // other node's (they form one release sequence) before signal() publishes them on.
  if (pending_.fetch_sub(1, memory_order_acq_rel) == 1) completion_.signal();
}

void graph_state::fail(std::exception_ptr e) noexcept {
  // acq_rel exchange: exactly one winner writes error_; the waiter reads it after completion.
  if (!failed_.exchange(true, memory_order_acq_rel)) error_ = std::move(e);
}

void graph_state::run_blocking(scheduler& s) {
  claim();
  try {
    prepare();
  } catch (...) {
    release_claim();
    throw;
  }
  if (sources_.empty()) {
    release_claim();
    return;
  }
  reset_for_run();
  if (tracing::on()) trace_prepare(tracing::end_segment());
  worker* w = current_worker();
  if (w != nullptr && &w->sched() == &s) {
    completion_.arm_worker(*w);
    start(*w);
    completion_.wait_helping(*w);
  } else {
    completion_.arm_thread();
    try {
      s.inject(&starter_);
    } catch (...) {  // out of memory in the injection queue: nothing started
      release_claim();
      throw;
    }
    completion_.wait_sleeping();
  }
  end_run();
}

bool graph_state::begin_async() {
  claim();
  try {
    prepare();
  } catch (...) {
    release_claim();
    throw;
  }
  return sources_.empty();
}

void graph_state::start_async(scheduler& s, std::coroutine_handle<> h,
                              resume_context* where) noexcept {
  reset_for_run();
  if (tracing::on()) trace_prepare(tracing::end_segment());
  completion_.arm_coroutine(h, where);
  // The last access to the graph in await_suspend: the run may finish, and resume the
  // coroutine, as soon as the starter is visible.
  queue_job(s, &starter_);
}

void graph_state::end_run() {
  if (failed_.load(memory_order_relaxed) || has_conditions_) counters_dirty_ = true;
  std::exception_ptr e = std::exchange(error_, nullptr);
  trace_join();
  release_claim();
  if (e) std::rethrow_exception(e);
}

}  // namespace brigade::detail
