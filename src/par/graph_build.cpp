// brigade::task_graph as built: adding tasks and edges, checking for cycles, laying the graph
// out for running (successor arrays, in-degrees, sources), and drawing it for Graphviz.
#include <brigade/par/detail/graph_state.hpp>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace brigade::detail {

namespace {

constexpr std::uint32_t no_task = std::numeric_limits<std::uint32_t>::max();

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + '"';
}

}  // namespace

graph_state::~graph_state() = default;

std::uint32_t graph_state::add(std::unique_ptr<graph_work> work, std::string name,
                               graph_task_kind kind) {
  if (specs_.size() >= no_task - 1)
    throw std::length_error("brigade::task_graph: more than 2^32 - 2 tasks");
  specs_.push_back(task_spec{std::move(work), std::move(name), kind});
  changed_ = true;
  return static_cast<std::uint32_t>(specs_.size() - 1);
}

void graph_state::add_edge(std::uint32_t from, std::uint32_t to) {
  if (edges_.size() >= no_task)
    throw std::length_error("brigade::task_graph: more than 2^32 - 1 dependencies");
  edges_.emplace_back(from, to);
  changed_ = true;
}

std::string graph_state::display_name(std::uint32_t i) const {
  const std::string& n = specs_[i].name;
  return n.empty() ? "task " + std::to_string(i) : n;
}

void graph_state::claim() {
  // acquire pairs with release_claim's release: the previous run, and whatever its waiter did
  // afterwards, happens before this one.
  if (running_.exchange(true, memory_order_acquire))
    throw std::logic_error("brigade::task_graph::run: graph " + quoted(name_) +
                           " is already running (a graph runs once at a time; use one graph "
                           "per concurrent run)");
}

void graph_state::release_claim() noexcept {
  running_.store(false, memory_order_release);
}

void graph_state::prepare() {
  if (!changed_) return;
  const std::size_t n = specs_.size();
  const std::size_t m = edges_.size();

  // Successor lists in one array (counting sort by source, keeping the order edges were added:
  // a condition's index i is its i-th edge), unconditional in-degrees, and any in-edge at all.
  std::vector<std::uint32_t> offset(n + 1, 0), strong_in(n, 0);
  std::vector<bool> has_in(n, false);
  for (auto [from, to] : edges_) {
    ++offset[from + 1];
    has_in[to] = true;
    if (specs_[from].kind != graph_task_kind::condition) ++strong_in[to];
  }
  for (std::size_t v = 0; v < n; ++v) offset[v + 1] += offset[v];
  std::vector<std::uint32_t> succ_index(m);
  {
    std::vector<std::uint32_t> fill(offset.begin(), offset.end() - 1);
    for (auto [from, to] : edges_) succ_index[fill[from]++] = to;
  }

  // Kahn's algorithm over the unconditional edges: whatever it cannot remove lies on a cycle
  // (or after one), which would never run.
  {
    std::vector<std::uint32_t> left = strong_in;
    std::vector<std::uint32_t> ready;
    for (std::uint32_t v = 0; v < n; ++v)
      if (left[v] == 0) ready.push_back(v);
    std::size_t removed = 0;
    while (!ready.empty()) {
      const std::uint32_t v = ready.back();
      ready.pop_back();
      ++removed;
      if (specs_[v].kind == graph_task_kind::condition) continue;
      for (std::uint32_t e = offset[v]; e < offset[v + 1]; ++e)
        if (--left[succ_index[e]] == 0) ready.push_back(succ_index[e]);
    }
    if (removed != n) throw_cycle(left);
  }

  auto nodes = std::make_unique<graph_node[]>(n);
  auto succ = std::make_unique<graph_node*[]>(m);
  for (std::size_t e = 0; e < m; ++e) succ[e] = &nodes[succ_index[e]];
  std::vector<graph_node*> sources;
  bool conditions = false;
  for (std::uint32_t v = 0; v < n; ++v) {
    graph_node& node = nodes[v];
    node.strong_in = strong_in[v];
    node.join.store(strong_in[v], memory_order_relaxed);  // published by the run's start
    node.succ_count = offset[v + 1] - offset[v];
    node.succ = succ.get() + offset[v];
    node.work = specs_[v].work.get();
    node.owner = this;
    node.condition = specs_[v].kind == graph_task_kind::condition;
    conditions = conditions || node.condition;
    if (!has_in[v]) sources.push_back(&node);
  }
  nodes_ = std::move(nodes);
  succ_ = std::move(succ);
  sources_ = std::move(sources);
  has_conditions_ = conditions;
  labels_ready_ = false;
  counters_dirty_ = false;
  changed_ = false;
}

void graph_state::throw_cycle(const std::vector<std::uint32_t>& strong_left) const {
  // Every task Kahn left behind has an unconditional predecessor that was left behind too.
  // Walk such predecessors from any of them until a task repeats: that stretch is a cycle.
  const std::size_t n = specs_.size();
  std::vector<std::uint32_t> pred(n, no_task);
  for (auto [from, to] : edges_)
    if (specs_[from].kind != graph_task_kind::condition && strong_left[from] != 0 &&
        strong_left[to] != 0)
      pred[to] = from;
  std::uint32_t start = 0;
  while (strong_left[start] == 0) ++start;
  std::vector<std::size_t> seen_at(n, std::numeric_limits<std::size_t>::max());
  std::vector<std::uint32_t> walk;
  std::uint32_t v = start;
  while (seen_at[v] == std::numeric_limits<std::size_t>::max()) {
    seen_at[v] = walk.size();
    walk.push_back(v);
    v = pred[v];
  }
  // walk[i + 1] precedes walk[i]; the cycle is walk[seen_at[v]..], read backwards.
  std::string names;
  for (std::size_t i = walk.size(); i-- > seen_at[v];) names += display_name(walk[i]) + " -> ";
  names += display_name(walk.back());
  throw std::invalid_argument("brigade::task_graph::run: graph " + quoted(name_) +
                              " has a cycle of dependencies: " + names +
                              " (only a condition task's edges may close a loop)");
}

std::string graph_state::dot() const {
  std::string out = "digraph " + quoted(name_.empty() ? "task_graph" : name_) + " {\n";
  out += "  node [shape=box];\n";
  for (std::uint32_t v = 0; v < specs_.size(); ++v) {
    out += "  t" + std::to_string(v) + " [label=" + quoted(display_name(v));
    if (specs_[v].kind == graph_task_kind::condition) out += ", shape=diamond";
    if (specs_[v].kind == graph_task_kind::compose) {
      const auto& sub = static_cast<const graph_compose_work&>(*specs_[v].work).sub();
      out += ", shape=box3d, tooltip=" + quoted("runs graph " + sub.name());
    }
    out += "];\n";
  }
  std::vector<std::uint32_t> branch(specs_.size(), 0);  // a condition's edge index
  for (auto [from, to] : edges_) {
    out += "  t" + std::to_string(from) + " -> t" + std::to_string(to);
    if (specs_[from].kind == graph_task_kind::condition)
      out += " [style=dashed, label=\"" + std::to_string(branch[from]++) + "\"]";
    out += ";\n";
  }
  return out + "}\n";
}

}  // namespace brigade::detail
