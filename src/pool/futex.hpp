// Linux futex wait/wake on a 32-bit atomic: std::atomic::wait has no timeout, and mixing raw
// futex calls with libstdc++'s notify (which skips the syscall when its own table shows no
// waiter) would lose wake-ups, so the pool's sleep word uses these two exclusively.
#pragma once

#include <brigade/core/detail/atomic.hpp>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cerrno>
#include <cstdint>
#include <ctime>

namespace brigade::detail {

static_assert(sizeof(atomic<std::uint32_t>) == sizeof(std::uint32_t));

/// Sleeps while *word == expected, at most `timeout_ns` (negative: no limit). Returns early on
/// a wake, a signal or a spurious wake-up: callers re-check their condition.
inline void futex_wait(atomic<std::uint32_t>& word, std::uint32_t expected,
                       long timeout_ns) noexcept {
  timespec ts{};
  timespec* limit = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = timeout_ns / 1'000'000'000L;
    ts.tv_nsec = timeout_ns % 1'000'000'000L;
    limit = &ts;
  }
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, limit,
          nullptr, 0);
}

/// Wakes up to `count` threads sleeping in futex_wait on word.
inline void futex_wake(atomic<std::uint32_t>& word, int count) noexcept {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, count, nullptr,
          nullptr, 0);
}

}  // namespace brigade::detail
