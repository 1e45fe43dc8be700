// The one seam through which brigade's internals use atomics, spinning and parking.
//
// Every lock-free structure and every sleep/wake protocol in brigade names its atomics and
// its pause instruction through this header, so a test build can swap in instrumented versions
// (random yields at each atomic, a model checker) without touching the algorithms.
#pragma once

#include <atomic>
#include <cstddef>
#include <thread>

namespace brigade::detail {

/// The atomic type used by all brigade internals.
template <class T>
using atomic = std::atomic<T>;

using std::memory_order_acq_rel;
using std::memory_order_acquire;
using std::memory_order_relaxed;
using std::memory_order_release;
using std::memory_order_seq_cst;

/// The size that keeps two independently written atomics from sharing a cache line.
/// (std::hardware_destructive_interference_size is 64 on x86-64 and warns when used in headers.)
inline constexpr std::size_t cache_line = 64;

/// A hint to the CPU that this thread is spinning (lowers power and frees the sibling
/// hyperthread). Costs about as much as a few dozen instructions; never blocks.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  std::this_thread::yield();
#endif
}

}  // namespace brigade::detail
