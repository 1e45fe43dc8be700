// The event buffers behind tracing: one bounded buffer per thread and generation, and the
// registry the writer reads them from.
#pragma once

#include <brigade/core/detail/trace_hooks.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace brigade::detail::tracing {

struct event {
  std::uint64_t time_ns;
  std::uint64_t a;
  std::uint64_t b;
  const char* label;
  kind k;
  std::uint32_t thread;
};

/// One thread's events for one recording: appended by its thread only, read by the writer
/// while recording goes on (trace::flush) or after it stopped.
///
/// Linear (the default): the first `capacity` events; later ones are dropped and counted.
/// Ring (BRIGADE_TRACE_MODE=ring): the last `capacity` events; older ones are overwritten.
///
/// Memory order: every slot word is written and read as a relaxed atomic (atomic_ref), so a reader
/// copying a slot the thread overwrites at the same moment reads a mix, never undefined behaviour,
/// and throws such a slot away (a seqlock on the running count): the thread publishes an event by
/// a release store of the count after writing it; before overwriting a slot it issues a
/// release fence, so a reader that saw any word of the new event also sees, after its own
/// acquire fence, a count that marks the slot as overwritten.
class thread_buffer {
 public:
  thread_buffer(std::uint32_t index, std::size_t capacity, bool ring)
      : index_(index),
        capacity_(capacity),
        ring_(ring),
        slots_(std::make_unique_for_overwrite<slot[]>(capacity)) {
  }  // not zeroed: no first-event stall

  /// Counts a drop and returns true when full (linear mode): callers check before reading the
  /// clock, so a full buffer costs almost nothing per event. A ring is never full.
  bool drop_if_full() noexcept {
    if (ring_ || count_.load(std::memory_order_relaxed) != capacity_) return false;
    dropped_.fetch_add(1, std::memory_order_relaxed);  // only this thread writes; read after
    return true;
  }

  void push(const event& e) noexcept {
    const std::size_t n = count_.load(std::memory_order_relaxed);  // only this thread writes
    if (n >= capacity_) {
      if (!ring_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      std::atomic_thread_fence(std::memory_order_release);  // see the class comment
    }
    slot& sl = slots_[n % capacity_];
    put(sl.w[0], e.time_ns);
    put(sl.w[1], e.a);
    put(sl.w[2], e.b);
    put(sl.w[3], reinterpret_cast<std::uintptr_t>(e.label));
    put(sl.w[4], static_cast<std::uint64_t>(e.k) | std::uint64_t{e.thread} << 16);
    // Release: a reader's acquire load of count_ sees the event's words.
    count_.store(n + 1, std::memory_order_release);
  }

  /// The events held now, oldest first (in a ring, those not overwritten while copying).
  std::vector<event> copy() const {
    const std::size_t end = count_.load(std::memory_order_acquire);
    const std::size_t begin = end > capacity_ ? end - capacity_ : 0;
    std::vector<event> out;
    out.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      const slot& sl = slots_[i % capacity_];
      const std::uint64_t kind_thread = get(sl.w[4]);
      out.push_back(event{get(sl.w[0]), get(sl.w[1]), get(sl.w[2]),
                          reinterpret_cast<const char*>(static_cast<std::uintptr_t>(get(sl.w[3]))),
                          static_cast<kind>(kind_thread & 0xffff),
                          static_cast<std::uint32_t>(kind_thread >> 16)});
    }
    if (!ring_) return out;
    std::atomic_thread_fence(std::memory_order_acquire);
    // Slot i is overwritten once the thread starts event i + capacity, i.e. once the count
    // reaches it: keep only the events with i + capacity > the count now.
    const std::size_t now = count_.load(std::memory_order_relaxed);
    const std::size_t first_intact = now >= capacity_ ? now - capacity_ + 1 : 0;
    if (first_intact > begin)
      out.erase(out.begin(),
                out.begin() + static_cast<std::ptrdiff_t>(std::min(first_intact, end) - begin));
    return out;
  }

  std::uint32_t index() const noexcept { return index_; }
  bool ring() const noexcept { return ring_; }
  /// Events lost: dropped when full (linear), or overwritten (ring).
  std::uint64_t dropped() const noexcept {
    if (!ring_) return dropped_.load(std::memory_order_relaxed);
    const std::size_t n = count_.load(std::memory_order_relaxed);
    return n > capacity_ ? n - capacity_ : 0;
  }

 private:
  // Plain words accessed through atomic_ref: std::atomic members would be zeroed at
  // construction (C++20), touching every page of a fresh buffer at a thread's first event.
  struct slot {
    alignas(std::atomic_ref<std::uint64_t>::required_alignment) std::uint64_t w[5];
  };  // time, a, b, label, kind | thread << 16
  static void put(std::uint64_t& word, std::uint64_t v) noexcept {
    std::atomic_ref<std::uint64_t>(word).store(v, std::memory_order_relaxed);
  }
  static std::uint64_t get(const std::uint64_t& word) noexcept {
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(word))
        .load(std::memory_order_relaxed);
  }
  std::uint32_t index_;
  std::size_t capacity_;
  bool ring_;
  std::unique_ptr<slot[]> slots_;
  std::atomic<std::size_t> count_{0};  // events ever pushed
  std::atomic<std::uint64_t> dropped_{0};
};

/// The buffers of the current recording, in registration order (thread index order).
std::vector<std::shared_ptr<thread_buffer>> snapshot_buffers();

/// When the current recording started (steady ns) and which process wrote it.
std::uint64_t recording_start_ns() noexcept;

/// The wall clock (system_clock, ns since the epoch) read next to recording_start_ns(): files
/// from different hosts align through it (approximately: as well as the hosts' clocks agree).
std::uint64_t recording_start_system_ns() noexcept;

/// Clears the registry and starts a new generation (threads re-register on their next event).
void reset_recording();

std::uint64_t now_ns() noexcept;

}  // namespace brigade::detail::tracing
