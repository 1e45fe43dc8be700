// The replaced global operator new and delete behind fail_alloc.hpp. Everything goes through
// malloc/aligned_alloc and free, which AddressSanitizer and ThreadSanitizer intercept, so the
// sanitizers still see every block (and LeakSanitizer every leak).
#include "fail_alloc.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace brigade::testing {
namespace {

// Allocations left until the one that fails; <= 0: disarmed. Relaxed throughout: see the
// header; the counter only has to pick one allocation, which its modification order does.
std::atomic<std::int64_t> countdown{0};
std::atomic<bool> fired{false};
std::atomic<std::int64_t> total{0};

// True when this allocation is the armed one.
bool should_fail() noexcept {
  total.fetch_add(1, std::memory_order_relaxed);
  if (countdown.load(std::memory_order_relaxed) <= 0) return false;  // the cheap common case
  // Two threads racing past the load both decrement; only the one that takes 1 to 0 fails,
  // and the counter going below zero leaves it disarmed.
  if (countdown.fetch_sub(1, std::memory_order_relaxed) != 1) return false;
  fired.store(true, std::memory_order_relaxed);
  return true;
}

void* allocate(std::size_t size) noexcept {
  if (should_fail()) return nullptr;
  return std::malloc(size == 0 ? 1 : size);
}

void* allocate_aligned(std::size_t size, std::align_val_t al) noexcept {
  if (should_fail()) return nullptr;
  const auto a = static_cast<std::size_t>(al);
  const std::size_t rounded = (size + a - 1) / a * a;  // aligned_alloc wants a multiple
  return std::aligned_alloc(a, rounded == 0 ? a : rounded);
}

}  // namespace

void fail_nth_allocation(std::int64_t n) noexcept {
  fired.store(false, std::memory_order_relaxed);
  countdown.store(n, std::memory_order_relaxed);
}

bool disarm_allocation_failure() noexcept {
  countdown.store(0, std::memory_order_relaxed);
  return fired.load(std::memory_order_relaxed);
}

bool allocation_failure_fired() noexcept {
  return fired.load(std::memory_order_relaxed);
}

std::int64_t allocations() noexcept {
  return total.load(std::memory_order_relaxed);
}

}  // namespace brigade::testing

namespace {

[[noreturn]] void out_of_memory() {
  throw std::bad_alloc();
}

}  // namespace

#if BRIGADE_FAULTS_WRAP_NEW
// ThreadSanitizer's runtime defines operator new and delete itself, linked whole: a second
// definition does not link. Under it the linker renames every call to the allocating forms
// (--wrap, tests/faults/CMakeLists.txt) to these, which allocate as the replacements below do;
// the delete forms stay TSan's, whose free() takes malloc's and aligned_alloc's blocks.
// Calls made inside libstdc++.so are not renamed: they are neither counted nor failed.
namespace {

void* new_or_throw(std::size_t n) {
  void* p = brigade::testing::allocate(n);
  if (p == nullptr) out_of_memory();
  return p;
}

void* new_aligned_or_throw(std::size_t n, std::align_val_t a) {
  void* p = brigade::testing::allocate_aligned(n, a);
  if (p == nullptr) out_of_memory();
  return p;
}

}  // namespace

// The names --wrap gives (the Itanium names of operator new, new[], and their nothrow and
// aligned forms, prefixed with __wrap_): reserved identifiers, which the linker's rule needs.
extern "C" {
void* __wrap__Znwm(std::size_t n) {
  return new_or_throw(n);
}
void* __wrap__Znam(std::size_t n) {
  return new_or_throw(n);
}
void* __wrap__ZnwmRKSt9nothrow_t(std::size_t n, const std::nothrow_t&) noexcept {
  return brigade::testing::allocate(n);
}
void* __wrap__ZnamRKSt9nothrow_t(std::size_t n, const std::nothrow_t&) noexcept {
  return brigade::testing::allocate(n);
}
void* __wrap__ZnwmSt11align_val_t(std::size_t n, std::align_val_t a) {
  return new_aligned_or_throw(n, a);
}
void* __wrap__ZnamSt11align_val_t(std::size_t n, std::align_val_t a) {
  return new_aligned_or_throw(n, a);
}
void* __wrap__ZnwmSt11align_val_tRKSt9nothrow_t(std::size_t n, std::align_val_t a,
                                                const std::nothrow_t&) noexcept {
  return brigade::testing::allocate_aligned(n, a);
}
void* __wrap__ZnamSt11align_val_tRKSt9nothrow_t(std::size_t n, std::align_val_t a,
                                                const std::nothrow_t&) noexcept {
  return brigade::testing::allocate_aligned(n, a);
}
}

#else

// The replacements: the throwing forms throw where allocate() gives nullptr, the nothrow forms
// return it; every delete form frees (free() serves aligned_alloc's blocks too).
void* operator new(std::size_t n) {
  void* p = brigade::testing::allocate(n);
  if (p == nullptr) out_of_memory();
  return p;
}
void* operator new[](std::size_t n) {
  return ::operator new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return brigade::testing::allocate(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return brigade::testing::allocate(n);
}
void* operator new(std::size_t n, std::align_val_t a) {
  void* p = brigade::testing::allocate_aligned(n, a);
  if (p == nullptr) out_of_memory();
  return p;
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return ::operator new(n, a);
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return brigade::testing::allocate_aligned(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return brigade::testing::allocate_aligned(n, a);
}

void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}

#endif  // BRIGADE_FAULTS_WRAP_NEW
