// The hooks brigade's locks call into checked mode (src/sync/lock_check.cpp). Off, each lock
// operation pays one relaxed load of `enabled_flag` and a predictable branch.
#pragma once

#include <brigade/core/detail/atomic.hpp>

#include <brigade/sync/detail/source_site.hpp>

namespace brigade::detail::lock_check {

/// Whether checked mode is on. Relaxed: it is a setting, not a hand-off; a lock operation that
/// races with set_check_mode() is checked or not, either is fine.
extern atomic<bool> enabled_flag;
/// Whether checked mode was ever on (a lock then must leave the graph when it dies). Relaxed,
/// like enabled_flag.
extern atomic<bool> ever_enabled;

/// Built with BRIGADE_ENABLE_LOCK_CHECKS=OFF (BRIGADE_NO_LOCK_CHECKS defined for brigade and
/// its users), a constant false: the hooks compile away and checked mode cannot be turned on.
inline bool on() noexcept {
#ifdef BRIGADE_NO_LOCK_CHECKS
  return false;
#else
  return enabled_flag.load(memory_order_relaxed);
#endif
}

/// Before a blocking acquisition: adds held -> lock edges; reports a cycle (may throw).
void before_lock(const void* lock, const char* name, const detail::source_site& site);
/// After any acquisition: the lock is held by this thread (`exclusive`: as its only owner).
void after_lock(const void* lock, const char* name, const detail::source_site& site,
                bool exclusive = true) noexcept;
/// Before sleeping on `lock`: records the wait and reports a wait-for cycle (may throw).
void before_wait(const void* lock);
/// After the sleep ended (acquired, timed out, or threw).
void after_wait() noexcept;
/// The lock was released by this thread.
void on_unlock(const void* lock) noexcept;
/// The coroutine forms, for async_mutex: the held set is that of `owner` (the address of the
/// coroutine frame that awaited the lock) instead of the calling thread's. No wait-for check:
/// a waiting coroutine blocks no thread.
void before_lock_as(const void* owner, const void* lock, const char* name,
                    const detail::source_site& site);
void after_lock_as(const void* owner, const void* lock, const char* name,
                   const detail::source_site& site) noexcept;
void on_unlock_as(const void* owner, const void* lock) noexcept;
/// The lock is destroyed: drop it from the graph.
void forget(const void* lock) noexcept;

inline void forget_if_used(const void* lock) noexcept {
  if (ever_enabled.load(memory_order_relaxed)) [[unlikely]]
    forget(lock);
}

}  // namespace brigade::detail::lock_check
