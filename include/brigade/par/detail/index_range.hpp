// The ranges a parallel algorithm walks, checked and turned into [0, n) offsets for the
// splitting engine: integer ranges of any integral type (index_range), iterator ranges
// (checked_distance).
//
// An integer loop [first, last) runs over the common type C of first's and last's types, so
// parallel_for(-5, 5, f) calls f(-5) .. f(4) and parallel_for(0, v.size(), f) passes size_t.
// The engine only sees the unsigned offset i - first, which never overflows: even
// [INT64_MIN, INT64_MAX) has 2^64 - 1 iterations, which fits in a std::size_t. Index i is
// first + offset computed in C's unsigned twin (modulo 2^bits, which is exact because the
// result is in range) and converted back to C.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace brigade::detail {

/// The integer types a loop may count with: any integral type but bool, at most 64 bits wide.
template <class T>
concept loop_index = std::integral<T> && !std::same_as<std::remove_cv_t<T>, bool> &&
                     sizeof(T) <= sizeof(std::uint64_t);

static_assert(sizeof(std::size_t) >= sizeof(std::uint64_t),
              "offsets of a 64-bit index range must fit in std::size_t");

/// An integer value as text, as a number even for the character types (int8_t is signed char).
template <loop_index T>
std::string index_text(T v) {
  if constexpr (std::is_signed_v<T>)
    return std::to_string(static_cast<long long>(v));
  else
    return std::to_string(static_cast<unsigned long long>(v));
}

/// [first, last) as `size` offsets from `base`: index(k) is first + k, of type C.
template <loop_index C>
struct index_range {
  using unsigned_type = std::make_unsigned_t<C>;

  std::size_t base;  // first, as C's unsigned twin, widened
  std::size_t size;  // last - first

  C index(std::size_t k) const noexcept {
    // Modulo 2^bits in the unsigned twin, then back to C: exact, since the result is in range
    // (the conversion of an out-of-range unsigned value to a signed type is modular in C++20).
    return static_cast<C>(static_cast<unsigned_type>(base + k));
  }
};

/// Checks that v, given as first or last (`which`), fits the loop's index type C: only a
/// negative value of a signed type whose common type with the other bound is unsigned does not.
template <loop_index C, loop_index T, loop_index Other>
void check_fits(const char* fn, const char* which, T v, const char* other_which, Other other) {
  if constexpr (std::is_signed_v<T> && std::is_unsigned_v<C>) {
    if (v < 0)
      throw std::invalid_argument(
          std::string("brigade::") + fn + ": " + which + " (" + index_text(v) +
          ") is negative but " + other_which + " (" + index_text(other) +
          ") has an unsigned type, so the loop counts in an unsigned type that cannot hold it; "
          "give both bounds a signed type");
  }
}

/// Checks [first, last) and returns it as offsets. Errors: std::invalid_argument naming the
/// values when first > last, or when a negative bound meets an unsigned one (their common type
/// is then unsigned: counting in it would wrap).
template <loop_index A, loop_index B>
index_range<std::common_type_t<A, B>> checked_index_range(const char* fn, A first, B last) {
  using C = std::common_type_t<A, B>;
  check_fits<C>(fn, "first", first, "last", last);
  check_fits<C>(fn, "last", last, "first", first);
  const C f = static_cast<C>(first);
  const C l = static_cast<C>(last);
  if (f > l)
    throw std::invalid_argument(std::string("brigade::") + fn + ": first (" + index_text(first) +
                                ") is greater than last (" + index_text(last) + ")");
  using U = std::make_unsigned_t<C>;
  // Subtracting in U is exact for l >= f: the difference is below 2^bits.
  const U n = static_cast<U>(static_cast<U>(l) - static_cast<U>(f));
  return {static_cast<std::size_t>(static_cast<U>(f)), static_cast<std::size_t>(n)};
}

/// last - first for random-access iterators. Errors: std::invalid_argument saying how far
/// last is before first.
template <std::random_access_iterator It>
std::size_t checked_distance(const char* fn, It first, It last) {
  if (last < first)
    throw std::invalid_argument(std::string("brigade::") + fn + ": last is " +
                                std::to_string(first - last) + " elements before first");
  return static_cast<std::size_t>(last - first);
}

}  // namespace brigade::detail
