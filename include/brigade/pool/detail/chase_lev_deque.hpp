// The per-worker work-stealing deque: Chase and Lev (SPAA 2005) with the C11 orderings of
// Lê, Pop, Cohen and Zappa Nardelli, "Correct and Efficient Work-Stealing for Weak Memory
// Models" (PPoPP 2013).
//
// The owner pushes and pops at the bottom (LIFO, cache-warm); thieves take from the top (FIFO,
// the oldest and usually largest piece of work). Where the paper uses a standalone seq_cst fence
// we use a seq_cst operation on the neighbouring access instead: on x86-64 both compile to one
// full barrier (xchg instead of mfence), the proof's store->load ordering is the same, and
// ThreadSanitizer, which does not model standalone fences, can check it.
#pragma once

#include <brigade/core/detail/atomic.hpp>
#include <brigade/pool/detail/job.hpp>

#include <cstdint>
#include <memory>
#include <new>
#include <vector>

namespace brigade::detail {

class chase_lev_deque {
 public:
  /// What a steal attempt found.
  struct steal_result {
    job* taken = nullptr;    ///< the job, or nullptr
    bool contended = false;  ///< lost a race with another taker: the deque may still hold work
  };

  explicit chase_lev_deque(std::size_t initial_capacity = 256) : rings_(), ring_(nullptr) {
    std::size_t cap = 1;
    while (cap < initial_capacity) cap <<= 1;
    rings_.push_back(std::make_unique<ring>(cap));
    own_ = rings_.back()->view();
    ring_.store(rings_.back().get(), memory_order_relaxed);
  }
  chase_lev_deque(const chase_lev_deque&) = delete;
  chase_lev_deque& operator=(const chase_lev_deque&) = delete;

  /// Owner only. The ring doubles when full; false, with nothing changed, when a bigger ring
  /// cannot be allocated.
  [[nodiscard]] bool try_push(job* j) noexcept {
    const std::int64_t b = bottom_.load(memory_order_relaxed);
    // Acquire pairs with the thieves' CAS on top_: a slot is reused only after the thief that
    // took its previous job has finished reading it.
    const std::int64_t t = top_.load(memory_order_acquire);
    if (b - t > static_cast<std::int64_t>(own_.mask) && !grow(t, b)) return false;
    own_.put(b, j);
    // Release publishes the slot and everything the owner wrote into the job to a thief whose
    // acquire (seq_cst) load of bottom_ reads this value or a later one.
    bottom_.store(b + 1, memory_order_release);
    return true;
  }

  /// Owner only. try_push, throwing std::bad_alloc where it fails.
  void push(job* j) {
    if (!try_push(j)) throw std::bad_alloc();
  }

  /// Owner only. The most recently pushed job, or nullptr when empty or a thief took the last.
  job* pop() {
    const std::int64_t b = bottom_.load(memory_order_relaxed) - 1;
    // Cheap exit without the barrier: top_ only grows, so a stale read can only make the deque
    // look fuller than it is, never emptier.
    if (b < top_.load(memory_order_relaxed)) return nullptr;
    // seq_cst store then seq_cst load: the paper's fence. Either a thief's read of bottom_ sees
    // the decrement, or our read of top_ sees the thief's increment; never neither.
    bottom_.store(b, memory_order_seq_cst);
    std::int64_t t = top_.load(memory_order_seq_cst);
    if (t > b) {  // empty: a thief took the last one
      bottom_.store(b + 1, memory_order_relaxed);
      return nullptr;
    }
    job* j = own_.get(b);
    if (t == b) {  // the last job: race the thieves for it on top_
      if (!top_.compare_exchange_strong(t, t + 1, memory_order_seq_cst, memory_order_relaxed))
        j = nullptr;
      bottom_.store(b + 1, memory_order_relaxed);
    }
    return j;
  }

  /// Any thread.
  steal_result steal() {
    // seq_cst load of top_ then of bottom_: the paper's acquire loads around a seq_cst fence.
    std::int64_t t = top_.load(memory_order_seq_cst);
    const std::int64_t b = bottom_.load(memory_order_seq_cst);
    if (t >= b) return {};
    // Acquire pairs with grow()'s release store: the new ring's contents are visible.
    ring* r = ring_.load(memory_order_acquire);
    job* j = r->get(t);
    if (!top_.compare_exchange_strong(t, t + 1, memory_order_seq_cst, memory_order_relaxed))
      return {nullptr, true};
    return {j, false};
  }

  /// Owner only: true when no job is waiting here (thieves may have taken them all).
  bool empty() const noexcept {
    return bottom_.load(memory_order_relaxed) <= top_.load(memory_order_relaxed);
  }

  /// Any thread; a racy estimate for wake-up decisions.
  bool looks_nonempty() const noexcept {
    return bottom_.load(memory_order_relaxed) > top_.load(memory_order_relaxed);
  }

 private:
  /// A ring's slots and index mask, copied by value: the owner keeps one beside bottom_ so
  /// that push and pop index the slots without first loading the ring.
  struct slots_view {
    // Relaxed: ordering comes from bottom_ (publication) and top_ (claiming), as in the paper.
    job* get(std::int64_t i) const noexcept {
      return slots[static_cast<std::size_t>(i) & mask].load(memory_order_relaxed);
    }
    void put(std::int64_t i, job* j) const noexcept {
      slots[static_cast<std::size_t>(i) & mask].store(j, memory_order_relaxed);
    }
    atomic<job*>* slots;
    std::size_t mask;
  };

  struct ring {
    explicit ring(std::size_t capacity)
        : mask(capacity - 1), slots(std::make_unique<atomic<job*>[]>(capacity)) {}
    slots_view view() const noexcept { return {slots.get(), mask}; }
    job* get(std::int64_t i) const noexcept { return view().get(i); }
    std::size_t mask;
    std::unique_ptr<atomic<job*>[]> slots;
  };

  // False when the memory for the bigger ring (or for keeping the old one) cannot be had; then
  // nothing has changed.
  [[gnu::noinline]] bool grow(std::int64_t t, std::int64_t b) noexcept {
    std::unique_ptr<ring> bigger;
    try {
      bigger = std::make_unique<ring>((own_.mask + 1) * 2);
      rings_.reserve(rings_.size() + 1);  // so that the push_back below cannot throw
    } catch (const std::bad_alloc&) {
      return false;
    }
    const slots_view next = bigger->view();
    for (std::int64_t i = t; i < b; ++i) next.put(i, own_.get(i));
    ring* r = bigger.get();
    // Old rings stay alive until the deque dies: a thief may still be reading one.
    rings_.push_back(std::move(bigger));
    own_ = next;
    // Release pairs with steal()'s acquire load of ring_.
    ring_.store(r, memory_order_release);
    return true;
  }

  alignas(cache_line) atomic<std::int64_t> top_{0};
  alignas(cache_line) atomic<std::int64_t> bottom_{0};
  slots_view own_;  // the current ring's view, owner only: on the line the owner writes anyway
  alignas(cache_line) std::vector<std::unique_ptr<ring>> rings_;  // owner only
  atomic<ring*> ring_;
};

}  // namespace brigade::detail
