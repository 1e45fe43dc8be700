// The event buffers behind tracing: one bounded buffer per thread and generation, and the
// registry the writer reads them from.
#pragma once

#include <brigade/core/detail/trace_hooks.hpp>

#include <atomic>
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

/// One thread's events for one recording. Written only by its thread; read by the writer
/// after recording stopped, up to the size it acquires.
class thread_buffer {
 public:
  thread_buffer(std::uint32_t index, std::size_t capacity)
      : index_(index),
        capacity_(capacity),
        events_(std::make_unique_for_overwrite<event[]>(capacity)) {
  }  // not zeroed: no first-event stall

  /// Counts a drop and returns true when full: callers check before reading the clock, so a
  /// full buffer costs almost nothing per event.
  bool drop_if_full() noexcept {
    if (size_.load(std::memory_order_relaxed) != capacity_) return false;
    dropped_.fetch_add(1, std::memory_order_relaxed);  // only this thread writes; read after
    return true;
  }

  void push(const event& e) noexcept {
    const std::size_t n = size_.load(std::memory_order_relaxed);
    if (n == capacity_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    events_[n] = e;
    // Release: the writer's acquire load of size_ sees the event's bytes.
    size_.store(n + 1, std::memory_order_release);
  }

  std::uint32_t index() const noexcept { return index_; }
  std::size_t size() const noexcept { return size_.load(std::memory_order_acquire); }
  const event& at(std::size_t i) const noexcept { return events_[i]; }
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  std::uint32_t index_;
  std::size_t capacity_;
  std::unique_ptr<event[]> events_;
  std::atomic<std::size_t> size_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

/// The buffers of the current recording, in registration order (thread index order).
std::vector<std::shared_ptr<thread_buffer>> snapshot_buffers();

/// When the current recording started (steady ns) and which process wrote it.
std::uint64_t recording_start_ns() noexcept;

/// Clears the registry and starts a new generation (threads re-register on their next event).
void reset_recording();

std::uint64_t now_ns() noexcept;

}  // namespace brigade::detail::tracing
