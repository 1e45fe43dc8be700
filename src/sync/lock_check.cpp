// Checked mode: the lock-order graph and the wait-for check behind brigade::sync::check_options.
// How it works, and why: README.md next to this file.
#include <brigade/sync/check.hpp>
#include <brigade/sync/detail/lock_check.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace brigade::detail::lock_check {

constinit atomic<bool> enabled_flag{false};
constinit atomic<bool> ever_enabled{false};

namespace {

struct edge {
  std::string from_site;  // where the first lock was taken
  std::string to_site;    // where the second was taken while holding the first
};

struct node {
  std::string name;
  std::map<const void*, edge> out;  // lock -> taken while holding this one
};

struct thread_rec;

// Everything below is guarded by graph_mu.
std::mutex graph_mu;
sync::check_options options;
std::unordered_map<const void*, node> nodes;
std::unordered_map<const void*, thread_rec*> owners;  // exclusive holders, for the wait-for check
std::size_t reports = 0;
std::string last_report;
unsigned thread_count = 0;

struct thread_rec {
  unsigned number = 0;  // "thread 3" in reports
  const void* waiting_on = nullptr;
  ~thread_rec() {
    std::lock_guard lock(graph_mu);
    for (auto it = owners.begin(); it != owners.end();) {
      it = it->second == this ? owners.erase(it) : std::next(it);
    }
  }
};

struct held_lock {
  const void* lock;
  std::string site;
};

thread_local std::vector<held_lock> held;
// The locks each coroutine holds (async_mutex), by coroutine frame; guarded by graph_mu.
std::unordered_map<const void*, std::vector<held_lock>> coroutine_held;
thread_local thread_rec self;

std::string site_text(const detail::source_site& s) {
  const char* file = s.file_name();
  if (const char* slash = std::strrchr(file, '/')) file = slash + 1;
  return std::string(file) + ":" + std::to_string(s.line()) + " (" + s.function_name() + ")";
}

std::string lock_name(const void* lock) {
  auto it = nodes.find(lock);
  if (it != nodes.end() && !it->second.name.empty()) return "\"" + it->second.name + "\"";
  char buf[48];
  std::snprintf(buf, sizeof buf, "lock@%p", lock);
  return buf;
}

node& node_of(const void* lock, const char* name) {
  node& n = nodes[lock];
  if (name != nullptr && n.name.empty()) n.name = name;
  return n;
}

unsigned self_number() {
  if (self.number == 0) self.number = ++thread_count;
  return self.number;
}

// A path of edges from `from` to `to` (depth-first), as the list of nodes along it.
bool find_path(const void* from, const void* to, std::set<const void*>& seen,
               std::vector<const void*>& path) {
  path.push_back(from);
  if (from == to) return true;
  if (seen.insert(from).second) {
    auto it = nodes.find(from);
    if (it != nodes.end())
      for (const auto& [next, e] : it->second.out)
        if (find_path(next, to, seen, path)) return true;
  }
  path.pop_back();
  return false;
}

// Records the report and returns the action to take (outside graph_mu).
// Counts and keeps the report; the action for it (a real deadlock's or a potential one's).
sync::check_action record_report(std::string text, bool real) {
  ++reports;
  last_report = std::move(text);
  return real ? options.deadlock_action : options.action;
}

void act(sync::check_action action, const std::string& text) {
  switch (action) {
    case sync::check_action::throw_error:
      throw deadlock_error(text);
    case sync::check_action::abort:
      std::fputs(text.c_str(), stderr);
      std::fflush(stderr);
      std::abort();
    case sync::check_action::report:
      std::fputs(text.c_str(), stderr);
      return;
  }
}

// BRIGADE_CHECK's grammar: "locks" with at most one action after a comma.
std::optional<sync::check_options> parse_check(std::string_view v) {
  sync::check_options o{.lock_order = true, .deadlocks = true};
  if (v == "locks") return o;
  const auto with = [&](sync::check_action a) {
    o.action = o.deadlock_action = a;
    return o;
  };
  if (v == "locks,throw") return with(sync::check_action::throw_error);
  if (v == "locks,abort") return with(sync::check_action::abort);
  if (v == "locks,report") return with(sync::check_action::report);
  return std::nullopt;
}

struct env_init {
  env_init() noexcept {
    const char* v = std::getenv("BRIGADE_CHECK");
    if (v == nullptr || *v == '\0') return;
    const std::optional<sync::check_options> o = parse_check(v);
    if (!o) {  // before main(): nobody could catch an exception, and running unchecked would
               // hide the mistake, so stop here
      std::fprintf(stderr,
                   "brigade: BRIGADE_CHECK=\"%s\" is invalid: expected locks, locks,throw, "
                   "locks,abort or locks,report\n",
                   v);
      std::exit(2);
    }
#ifdef BRIGADE_NO_LOCK_CHECKS
    std::fprintf(stderr,
                 "brigade: BRIGADE_CHECK is set, but this brigade was built without lock "
                 "checks (BRIGADE_ENABLE_LOCK_CHECKS=OFF)\n");
    return;
#endif
    sync::set_check_mode(*o);
  }
};
const env_init read_env_once;

}  // namespace

namespace {
// Adds held -> lock edges; returns the report of the first cycle found. With graph_mu held.
std::optional<std::pair<sync::check_action, std::string>> add_edges(
    const std::vector<held_lock>& holding, const void* lock, const char* name,
    const detail::source_site& site) {
  std::optional<std::pair<sync::check_action, std::string>> found;
  {
    node_of(lock, name);
    const std::string here = site_text(site);
    for (const held_lock& h : holding) {
      if (h.lock == lock) continue;  // recursion: the lock itself reports it
      auto& out = nodes[h.lock].out;
      if (out.contains(lock)) continue;
      out.emplace(lock, edge{h.site, here});
      std::set<const void*> seen;
      std::vector<const void*> path;
      if (!find_path(lock, h.lock, seen, path)) continue;
      // The cycle: h -> lock (this acquisition), then lock -> ... -> h (learnt earlier).
      path.insert(path.begin(), h.lock);
      std::string text = "brigade: POTENTIAL DEADLOCK: lock-order cycle over " +
                         std::to_string(path.size() - 1) + " locks\n";
      for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        const edge& e = nodes[path[i]].out.at(path[i + 1]);
        text += "  " + lock_name(path[i + 1]) + " acquired at " + e.to_site +
                "\n    while holding " + lock_name(path[i]) + " acquired at " + e.from_site +
                (i == 0 ? "   <- this acquisition closes the cycle\n" : "\n");
      }
      found.emplace(record_report(text, false), std::move(text));
      break;
    }
  }
  return found;
}
}  // namespace

void before_lock(const void* lock, const char* name, const detail::source_site& site) {
  std::optional<std::pair<sync::check_action, std::string>> found;
  {
    std::lock_guard g(graph_mu);
    if (!options.lock_order) return;
    found = add_edges(held, lock, name, site);
  }
  if (found) act(found->first, found->second);
}

void before_lock_as(const void* owner, const void* lock, const char* name,
                    const detail::source_site& site) {
  std::optional<std::pair<sync::check_action, std::string>> found;
  {
    std::lock_guard g(graph_mu);
    if (!options.lock_order) return;
    auto it = coroutine_held.find(owner);
    if (it == coroutine_held.end()) {
      node_of(lock, name);
      return;
    }
    found = add_edges(it->second, lock, name, site);
  }
  if (found) act(found->first, found->second);
}

void after_lock_as(const void* owner, const void* lock, const char* name,
                   const detail::source_site& site) noexcept {
  std::lock_guard g(graph_mu);
  if (!options.lock_order) return;
  node_of(lock, name);
  coroutine_held[owner].push_back({lock, site_text(site)});
}

void on_unlock_as(const void* owner, const void* lock) noexcept {
  std::lock_guard g(graph_mu);
  auto it = coroutine_held.find(owner);
  if (it == coroutine_held.end()) return;
  auto& hs = it->second;
  for (auto h = hs.rbegin(); h != hs.rend(); ++h) {
    if (h->lock != lock) continue;
    hs.erase(std::next(h).base());
    break;
  }
  if (hs.empty()) coroutine_held.erase(it);
}

void after_lock(const void* lock, const char* name, const detail::source_site& site,
                bool exclusive) noexcept {
  std::lock_guard g(graph_mu);
  if (!options.lock_order && !options.deadlocks) return;
  node_of(lock, name);
  held.push_back({lock, site_text(site)});
  if (options.deadlocks && exclusive) {
    self_number();
    owners[lock] = &self;
  }
}

void before_wait(const void* lock) {
  std::string text;
  sync::check_action action{};
  {
    std::lock_guard g(graph_mu);
    if (!options.deadlocks) return;
    self.waiting_on = lock;
    self_number();
    bool cycle = false;
    const void* cur = lock;
    for (std::size_t steps = 0; steps <= owners.size() && !cycle; ++steps) {
      auto it = owners.find(cur);
      if (it == owners.end()) break;
      cycle = it->second == &self;
      cur = it->second->waiting_on;
      if (cur == nullptr) break;
    }
    if (!cycle) return;
    // A cycle: walk it again to describe it.
    text = "brigade: DEADLOCK: threads wait for each other in a cycle\n";
    const void* l = lock;
    thread_rec* waiter = &self;
    for (std::size_t steps = 0; steps <= owners.size(); ++steps) {
      thread_rec* owner = owners.at(l);
      const unsigned wn = waiter == &self ? self_number() : waiter->number;
      text += "  thread " + std::to_string(wn) + " waits for " + lock_name(l) +
              ", held by thread " + std::to_string(owner->number) + "\n";
      if (owner == &self) break;
      waiter = owner;
      l = owner->waiting_on;
    }
    self.waiting_on = nullptr;
    action = record_report(text, true);
  }
  act(action, text);
  if (action == sync::check_action::report) {
    std::lock_guard g(graph_mu);
    self.waiting_on = lock;  // report and keep waiting, as asked
  }
}

void after_wait() noexcept {
  std::lock_guard g(graph_mu);
  self.waiting_on = nullptr;
}

void on_unlock(const void* lock) noexcept {
  for (auto it = held.rbegin(); it != held.rend(); ++it) {
    if (it->lock != lock) continue;
    held.erase(std::next(it).base());
    std::lock_guard g(graph_mu);
    auto o = owners.find(lock);
    if (o != owners.end() && o->second == &self) owners.erase(o);
    return;
  }
}

void forget(const void* lock) noexcept {
  std::lock_guard g(graph_mu);
  nodes.erase(lock);
  for (auto& [l, n] : nodes) n.out.erase(lock);
  owners.erase(lock);
  for (auto& [owner, hs] : coroutine_held)
    std::erase_if(hs, [lock](const held_lock& h) { return h.lock == lock; });
}

}  // namespace brigade::detail::lock_check

namespace brigade::sync {

using namespace brigade::detail::lock_check;

void set_check_mode(check_options o) noexcept {
  std::lock_guard g(graph_mu);
  options = o;
  const bool on = o.lock_order || o.deadlocks;
  if (on) ever_enabled.store(true, detail::memory_order_relaxed);
  enabled_flag.store(on, detail::memory_order_relaxed);
}

check_options check_mode() noexcept {
  std::lock_guard g(graph_mu);
  return options;
}

std::size_t deadlock_reports() noexcept {
  std::lock_guard g(graph_mu);
  return reports;
}

std::string last_deadlock_report() {
  std::lock_guard g(graph_mu);
  return last_report;
}

void reset_lock_graph() noexcept {
  std::lock_guard g(graph_mu);
  for (auto& [l, n] : nodes) n.out.clear();
}

}  // namespace brigade::sync
