// A replaced global operator new that can be armed to fail the Nth allocation, for the fault
// tests: every form of new (sized, aligned, nothrow, array) counts and fails alike. Under
// ThreadSanitizer, whose runtime defines operator new itself, the linker renames the calls
// instead (fail_alloc.cpp, CMakeLists.txt).
#pragma once

#include <cstdint>

namespace brigade::testing {

/// Arms the next `n`th allocation (counted from now, on every thread) to fail: the throwing
/// forms throw std::bad_alloc, the nothrow forms return nullptr. Only that one fails; the ones
/// after it succeed again. n == 0 disarms.
///
/// Memory ordering: the countdown is one relaxed atomic. It orders nothing but itself (which
/// allocation is the Nth is decided by its modification order), so a test that wants another
/// thread's allocations counted must start that work after arming, through something that
/// synchronizes (a thread start, a pool's queue, a loop's post), and reads fired() after the
/// work has been joined the same way.
void fail_nth_allocation(std::int64_t n) noexcept;

/// Disarms; returns whether the armed allocation failed.
bool disarm_allocation_failure() noexcept;

/// Whether an armed allocation has failed since the last fail_nth_allocation().
bool allocation_failure_fired() noexcept;

/// Allocations made (by every form of new) since the process started.
std::int64_t allocations() noexcept;

/// Arms on construction, disarms on destruction (when the scope ends by an exception too).
class fail_nth_allocation_scope {
 public:
  explicit fail_nth_allocation_scope(std::int64_t n) noexcept { fail_nth_allocation(n); }
  ~fail_nth_allocation_scope() { disarm_allocation_failure(); }
  fail_nth_allocation_scope(const fail_nth_allocation_scope&) = delete;
  fail_nth_allocation_scope& operator=(const fail_nth_allocation_scope&) = delete;
};

}  // namespace brigade::testing
