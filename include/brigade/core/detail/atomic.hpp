// The one seam through which brigade's internals use atomics, spinning and parking.
//
// Every lock-free structure and every sleep/wake protocol in brigade names its atomics and
// its pause instruction through this header, so a test build can swap in instrumented versions
// (random yields at each atomic, a model checker) without touching the algorithms.
//
// Schedule fuzzing (BRIGADE_SCHEDULE_FUZZ, the CMake option of that name; test builds only):
// `atomic<T>` becomes a thin wrapper whose every operation (load, store, exchange, both
// compare-exchanges, the fetch_* family and their operators, wait/notify), and `cpu_relax`, first
// calls `schedule_point()`. That hook draws from a per-thread PRNG and, with small
// probabilities, yields the CPU or sleeps a few microseconds, so that the interleavings a
// 2-core machine rarely produces (a thread pre-empted between a load and its CAS) come up often.
// The PRNG is seeded from one process seed — BRIGADE_SCHEDULE_SEED if set, else random, printed
// to stderr as "brigade: schedule seed N" at first use — mixed with the thread's index in the
// order threads first reach the seam. A seed replays the *decisions* each thread makes, not the
// operating system's scheduling: it raises the odds of reproducing a failure, it does not
// guarantee it. Atomics brigade declares as std::atomic outside this seam (trace recorder,
// the event loop's flags, counters in src/) and std::atomic_thread_fence calls are not perturbed.
// Without the macro `atomic<T>` is exactly std::atomic<T> and nothing here costs anything.
#pragma once

#include <atomic>
#include <cstddef>
#include <thread>
#if defined(BRIGADE_SCHEDULE_FUZZ)
#include <type_traits>
#endif

namespace brigade::detail {

using std::memory_order_acq_rel;
using std::memory_order_acquire;
using std::memory_order_relaxed;
using std::memory_order_release;
using std::memory_order_seq_cst;

#if !defined(BRIGADE_SCHEDULE_FUZZ)

/// The atomic type used by all brigade internals.
template <class T>
using atomic = std::atomic<T>;

#else

/// Schedule fuzzing's perturbation (src/core/schedule_fuzz.cpp): most calls return at once;
/// some yield, a few sleep for microseconds, as this thread's seeded PRNG decides.
void schedule_point() noexcept;

/// std::atomic<T> with schedule_point() before each operation. Same size and layout (the futex
/// calls in src/pool take its address as the word's).
template <class T>
class atomic {
  static constexpr bool arithmetic =
      (std::is_integral_v<T> && !std::is_same_v<T, bool>) || std::is_pointer_v<T>;
  static constexpr bool bitwise = std::is_integral_v<T> && !std::is_same_v<T, bool>;

 public:
  using value_type = T;
  using difference_type = std::conditional_t<std::is_pointer_v<T>, std::ptrdiff_t, T>;
  static constexpr bool is_always_lock_free = std::atomic<T>::is_always_lock_free;

  constexpr atomic() noexcept = default;
  constexpr atomic(T v) noexcept : a_(v) {}  // NOLINT: implicit, like std::atomic
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

  bool is_lock_free() const noexcept { return a_.is_lock_free(); }

  T load(std::memory_order o = memory_order_seq_cst) const noexcept {
    schedule_point();
    return a_.load(o);
  }
  operator T() const noexcept { return load(); }  // NOLINT: implicit, like std::atomic
  void store(T v, std::memory_order o = memory_order_seq_cst) noexcept {
    schedule_point();
    a_.store(v, o);
  }
  T operator=(T v) noexcept {
    store(v);
    return v;
  }
  T exchange(T v, std::memory_order o = memory_order_seq_cst) noexcept {
    schedule_point();
    return a_.exchange(v, o);
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order success,
                             std::memory_order failure) noexcept {
    schedule_point();
    return a_.compare_exchange_weak(expected, desired, success, failure);
  }
  bool compare_exchange_weak(T& expected, T desired,
                             std::memory_order o = memory_order_seq_cst) noexcept {
    schedule_point();
    return a_.compare_exchange_weak(expected, desired, o);
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order success,
                               std::memory_order failure) noexcept {
    schedule_point();
    return a_.compare_exchange_strong(expected, desired, success, failure);
  }
  bool compare_exchange_strong(T& expected, T desired,
                               std::memory_order o = memory_order_seq_cst) noexcept {
    schedule_point();
    return a_.compare_exchange_strong(expected, desired, o);
  }

  void wait(T old, std::memory_order o = memory_order_seq_cst) const noexcept {
    schedule_point();
    a_.wait(old, o);
  }
  void notify_one() noexcept {
    schedule_point();
    a_.notify_one();
  }
  void notify_all() noexcept {
    schedule_point();
    a_.notify_all();
  }

  T fetch_add(difference_type d,
              std::memory_order o = memory_order_seq_cst) noexcept requires arithmetic {
    schedule_point();
    return a_.fetch_add(d, o);
  }
  T fetch_sub(difference_type d,
              std::memory_order o = memory_order_seq_cst) noexcept requires arithmetic {
    schedule_point();
    return a_.fetch_sub(d, o);
  }
  T fetch_and(T v, std::memory_order o = memory_order_seq_cst) noexcept requires bitwise {
    schedule_point();
    return a_.fetch_and(v, o);
  }
  T fetch_or(T v, std::memory_order o = memory_order_seq_cst) noexcept requires bitwise {
    schedule_point();
    return a_.fetch_or(v, o);
  }
  T fetch_xor(T v, std::memory_order o = memory_order_seq_cst) noexcept requires bitwise {
    schedule_point();
    return a_.fetch_xor(v, o);
  }

  T operator++() noexcept requires arithmetic { return static_cast<T>(fetch_add(1) + 1); }
  T operator++(int) noexcept requires arithmetic { return fetch_add(1); }
  T operator--() noexcept requires arithmetic { return static_cast<T>(fetch_sub(1) - 1); }
  T operator--(int) noexcept requires arithmetic { return fetch_sub(1); }
  T operator+=(difference_type d) noexcept requires arithmetic {
    return static_cast<T>(fetch_add(d) + d);
  }
  T operator-=(difference_type d) noexcept requires arithmetic {
    return static_cast<T>(fetch_sub(d) - d);
  }
  T operator&=(T v) noexcept requires bitwise { return static_cast<T>(fetch_and(v) & v); }
  T operator|=(T v) noexcept requires bitwise { return static_cast<T>(fetch_or(v) | v); }
  T operator^=(T v) noexcept requires bitwise { return static_cast<T>(fetch_xor(v) ^ v); }

 private:
  std::atomic<T> a_;
};

#endif

/// The size that keeps two independently written atomics from sharing a cache line.
/// (std::hardware_destructive_interference_size is 64 on x86-64 and warns when used in headers.)
inline constexpr std::size_t cache_line = 64;

/// A hint to the CPU that this thread is spinning (lowers power and frees the sibling
/// hyperthread). Costs about as much as a few dozen instructions; never blocks.
inline void cpu_relax() noexcept {
#if defined(BRIGADE_SCHEDULE_FUZZ)
  schedule_point();  // a spinning thread is where a pre-emption matters most
#endif
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  std::this_thread::yield();
#endif
}

}  // namespace brigade::detail
