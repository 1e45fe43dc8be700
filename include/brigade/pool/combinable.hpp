// brigade::combinable — one value per thread, combined at the end: per-thread scratch and
// accumulators without locks or false sharing (as oneTBB's combinable).
//
//   brigade::combinable<long> hits;                 // each thread starts from long{}
//   brigade::parallel_for(0, n, [&](int i) { if (test(i)) ++hits.local(); });
//   long total = hits.combine(std::plus<>());
//
// local() costs a thread-local lookup (a compare and a load) after each thread's first call;
// every thread's value lives on a cache line of its own.
#pragma once

#include <brigade/core/detail/atomic.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <type_traits>
#include <utility>

namespace brigade {
namespace detail {

/// Instance ids are never reused, so a thread's cached slot of a destroyed (or cleared)
/// combinable can never be taken for one of a live combinable.
std::uint64_t next_combinable_id() noexcept;

/// The calling thread's small cache of (instance id -> slot), direct-mapped.
struct combinable_cache_entry {
  std::uint64_t id = 0;
  void* slot = nullptr;
};
inline constexpr std::size_t combinable_cache_size = 16;
combinable_cache_entry* combinable_cache() noexcept;

}  // namespace detail

/// Per-thread values of T, created on a thread's first local() and combined by combine().
///
/// Thread safety: local() may be called from any number of threads at once; each thread gets
/// its own value and only it may touch it until the parallel work is over. combine(),
/// combine_each(), size() and clear() must not overlap a local() call: call them after the
/// work that used local() has finished (after the parallel_for, join or task_group.wait()
/// returns, which orders every thread's writes before them).
/// Complexity: local() is O(1) after a thread's first call (a per-thread cache); the first
/// call on a thread is O(threads already holding a value). combine is O(threads).
template <class T>
class combinable {
 public:
  /// Each thread's value starts as T{}.
  combinable() requires std::is_default_constructible_v<T> : init_([] { return T{}; }) {}
  /// Each thread's value starts as init() (called once per thread, on that thread; several
  /// threads may call it at once).
  template <class Init>
  requires std::is_invocable_r_v<T, Init&>
  explicit combinable(Init init) : init_(std::move(init)) {}

  combinable(const combinable&) = delete;
  combinable& operator=(const combinable&) = delete;
  ~combinable() { free_all(); }

  /// The calling thread's value, created on its first call.
  T& local() {
    bool exists;
    return local(exists);
  }

  /// As local(); `exists` is false when this call created the value.
  T& local(bool& exists) {
    detail::combinable_cache_entry& c =
        detail::combinable_cache()[id_ % detail::combinable_cache_size];
    if (c.id == id_) {
      exists = true;
      return static_cast<node*>(c.slot)->value;
    }
    node* n = find_or_add(exists);
    c = {id_, n};
    return n->value;
  }

  /// Folds every thread's value with op (associative and commutative: the order of threads
  /// is unspecified). With no value yet, returns init() (T{} by default).
  template <class Op>
  T combine(Op op) const {
    node* n = head_.load(detail::memory_order_acquire);
    if (n == nullptr) return init_();
    T acc = n->value;
    for (n = n->next; n != nullptr; n = n->next) acc = op(std::move(acc), n->value);
    return acc;
  }

  /// Calls f(value) for every thread's value, in an unspecified order.
  template <class F>
  void combine_each(F f) const {
    for (node* n = head_.load(detail::memory_order_acquire); n != nullptr; n = n->next)
      f(static_cast<const T&>(n->value));
  }

  /// The number of threads holding a value.
  std::size_t size() const noexcept {
    std::size_t k = 0;
    for (node* n = head_.load(detail::memory_order_acquire); n != nullptr; n = n->next) ++k;
    return k;
  }

  /// Drops every thread's value; the next local() on each thread starts from init() again.
  void clear() {
    free_all();
    id_ = detail::next_combinable_id();  // every thread's cached slot is now a miss
  }

 private:
  // One thread's value, alone on its cache line(s) so neighbours do not false-share.
  struct alignas(detail::cache_line) node {
    explicit node(T v) : value(std::move(v)) {}
    T value;
    std::thread::id owner = std::this_thread::get_id();
    node* next = nullptr;
  };

  node* find_or_add(bool& exists) {
    const std::thread::id me = std::this_thread::get_id();
    // acquire: pairs with the release of the push that published each node.
    for (node* n = head_.load(detail::memory_order_acquire); n != nullptr; n = n->next) {
      if (n->owner == me) {  // evicted from the cache by another combinable: still ours
        exists = true;
        return n;
      }
    }
    node* n = new node(init_());
    // Only this thread adds a node owned by it, so no second node for `me` can appear between
    // the search and the push. release: the node's contents are visible to whoever walks the
    // list after loading it; relaxed on failure, we only retry.
    n->next = head_.load(detail::memory_order_relaxed);
    while (!head_.compare_exchange_weak(n->next, n, detail::memory_order_release,
                                        detail::memory_order_relaxed)) {
    }
    exists = false;
    return n;
  }

  void free_all() noexcept {
    node* n = head_.exchange(nullptr, detail::memory_order_acquire);
    while (n != nullptr) delete std::exchange(n, n->next);
  }

  std::function<T()> init_;
  std::uint64_t id_ = detail::next_combinable_id();
  detail::atomic<node*> head_{nullptr};
};

}  // namespace brigade
