// brigade::timed_mutex — brigade::mutex with try_lock_for and try_lock_until.
#pragma once

#include <brigade/sync/mutex.hpp>

#include <brigade/sync/detail/source_site.hpp>
#include <chrono>

namespace brigade {

/// A mutex whose acquisition can give up after a while. Satisfies TimedLockable.
///
/// Thread safety, memory ordering, blocking and checked mode: as brigade::mutex. A timed wait
/// is not reported by the wait-for (real deadlock) check, since it ends by itself, but it does
/// update the lock-order graph.
class timed_mutex : public mutex {
 public:
  using mutex::mutex;

  /// Acquires the lock, waiting at most `d`; false on timeout. A non-positive d only tries.
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d,
                    detail::source_site where = detail::source_site::current()) {
    return try_lock_until(std::chrono::steady_clock::now() +
                              std::chrono::ceil<std::chrono::steady_clock::duration>(d),
                          where);
  }

  /// Acquires the lock, waiting until `tp` at the latest; false on timeout.
  template <class Clock, class Duration>
  bool try_lock_until(std::chrono::time_point<Clock, Duration> tp,
                      detail::source_site where = detail::source_site::current()) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::ceil<std::chrono::steady_clock::duration>(tp - Clock::now());
    if (try_lock(where)) return true;
    const bool checked = detail::lock_check::on();
    if (checked) [[unlikely]]
      detail::lock_check::before_lock(this, name(), where);
    if (!lock_slow(checked, &deadline)) return false;
    acquired(checked, where);
    return true;
  }
};

}  // namespace brigade
