// The event buffers behind tracing: one bounded buffer per thread and generation, and the
// registry the writer reads them from.
#pragma once

#include <brigade/core/detail/trace_hooks.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace brigade::detail::tracing {

/// One recorded event. In a buffer, `time` is in ticks (see now_ticks()); copy() hands events
/// out with it in steady_clock nanoseconds, and with the fused kinds (segment_switch,
/// segment_next) expanded into the segment_end, edges and segment_begin they stand for, so
/// the writer sees what it always saw.
struct event {
  std::uint64_t time_ns;
  std::uint64_t a;
  std::uint64_t b;
  const char* label;
  kind k;
  std::uint32_t thread;
  std::uint64_t c = 0;  // the fused kinds' third segment id
};

/// The recorder's clock: the TSC (rdtsc, a few ns) where it is invariant, else steady_clock
/// nanoseconds (clock_gettime, 30-140 ns in the VMs measured). Ticks become nanoseconds only
/// when a trace is written (ticks_to_ns), calibrated over the recording itself.
std::uint64_t now_ticks() noexcept;

/// Converts ticks read during the current recording to steady_clock ns; `scale` comes from
/// tick_scale(), read once per write.
struct tick_scale {
  std::uint64_t origin_ticks = 0;
  std::uint64_t origin_ns = 0;
  double ns_per_tick = 1.0;
  bool identity = true;  // ticks are already ns (no TSC)
  std::uint64_t to_ns(std::uint64_t ticks) const noexcept {
    if (identity) return ticks;
    const double d = static_cast<double>(static_cast<std::int64_t>(ticks - origin_ticks));
    return origin_ns + static_cast<std::uint64_t>(static_cast<std::int64_t>(d * ns_per_tick));
  }
};
/// The scale for the current recording, measured from its start to now (at least 1 ms apart:
/// a writer called sooner waits out the rest, so the error of reading two clocks stays small).
tick_scale current_tick_scale() noexcept;

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
        slots_(allocate_slots(capacity)) {}  // not zeroed: no first-event stall

  /// Counts a drop and returns true when full (linear mode): callers check before reading the
  /// clock, so a full buffer costs almost nothing per event. A ring is never full.
  bool drop_if_full() noexcept {
    if (ring_ || count_.load(std::memory_order_relaxed) != capacity_) return false;
    // Only this thread writes: a load and a store, no read-modify-write (a locked instruction
    // per dropped event was most of a full buffer's cost). The writer reads it relaxed.
    dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return true;
  }

  void push(const event& e) noexcept {
    const std::size_t n = count_.load(std::memory_order_relaxed);  // only this thread writes
    if (n >= capacity_) {
      if (!ring_) {
        dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
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
    put(sl.w[5], e.c);
    // Release: a reader's acquire load of count_ sees the event's words.
    count_.store(n + 1, std::memory_order_release);
  }

  /// The events held now, oldest first (in a ring, those not overwritten while copying), with
  /// times in ns and fused events expanded (see event).
  std::vector<event> copy(const tick_scale& scale) const {
    std::vector<event> raw = copy_raw();
    std::vector<event> out;
    out.reserve(raw.size() + raw.size() / 2);
    for (event& e : raw) {
      e.time_ns = scale.to_ns(e.time_ns);
      if (e.k != kind::segment_switch && e.k != kind::segment_next) {
        out.push_back(e);
        continue;
      }
      // a: the segment that ends (0: none); b: the one that begins; c: an edge into b (0:
      // none); segment_next: a -> b is an edge too. The order is begin_segment's of old.
      const std::uint64_t t = e.time_ns;
      if (e.a != 0) out.push_back(event{t, e.a, 0, nullptr, kind::segment_end, e.thread});
      if (e.c != 0) out.push_back(event{t, e.c, e.b, nullptr, kind::edge, e.thread});
      if (e.k == kind::segment_next && e.a != e.c)
        out.push_back(event{t, e.a, e.b, nullptr, kind::edge, e.thread});
      out.push_back(event{t, e.b, 0, e.label, kind::segment_begin, e.thread});
    }
    return out;
  }

  /// The events held now as recorded (ticks, fused kinds).
  std::vector<event> copy_raw() const {
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
                          static_cast<std::uint32_t>(kind_thread >> 16), get(sl.w[5])});
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
    alignas(std::atomic_ref<std::uint64_t>::required_alignment) std::uint64_t w[6];
  };  // time (ticks), a, b, label, kind | thread << 16, c
  static void put(std::uint64_t& word, std::uint64_t v) noexcept {
    std::atomic_ref<std::uint64_t>(word).store(v, std::memory_order_relaxed);
  }
  static std::uint64_t get(const std::uint64_t& word) noexcept {
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(word))
        .load(std::memory_order_relaxed);
  }
  struct free_slots {
    void operator()(slot* p) const noexcept { std::free(p); }
  };
  /// Room for `capacity` slots, uninitialised, in 2 MiB-aligned memory the kernel is asked to
  /// back with huge pages (recorder.cpp): a thread recording every event otherwise takes a
  /// page fault every 85 events, which measured as most of a kept event's cost.
  static std::unique_ptr<slot[], free_slots> allocate_slots(std::size_t capacity);
  std::uint32_t index_;
  std::size_t capacity_;
  bool ring_;
  std::unique_ptr<slot[], free_slots> slots_;
  // On a cache line of their own: the buffers of two threads are allocated one after the
  // other, and every event writes one of these (a full buffer: dropped_, on every event).
  alignas(64) std::atomic<std::size_t> count_{0};  // events ever pushed
  std::atomic<std::uint64_t> dropped_{0};
  char pad_[64 - sizeof(std::atomic<std::size_t>) - sizeof(std::atomic<std::uint64_t>)];
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

/// steady_clock now, in ns (clock_gettime(CLOCK_MONOTONIC)).
std::uint64_t now_ns() noexcept;

}  // namespace brigade::detail::tracing
