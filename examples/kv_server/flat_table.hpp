// An open-addressing hash table of string keys: one array of slots, each holding the key's
// hash, the key and its value (inline while together they fit 30 bytes) and a caller's field,
// probed linearly, erased by shifting the cluster back (no tombstones). A lookup of a short
// key reads one or two adjacent cache lines; a chained std::unordered_map follows a bucket, a
// node and the key's heap buffer.
#pragma once

#include "compact_pair.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace kv {

/// The caller hashes: the same hash picks the kv table's shard (from bits 32 and up) and the
/// slot here (from the low 32 bits), and is computed once per command.
/// Extra: a field kept beside each key (the kv table's expiry deadline); trivially copyable.
/// Thread safety: none of its own (one shard's lock guards each table).
/// Pointers to slots stay valid until the next insert or erase.
template <class Extra>
class flat_table {
 public:
  struct slot {
    std::uint64_t tag = 0;  // 0: empty; else the hash with its top bit set
    Extra extra{};
    compact_pair pair;
  };

  flat_table() = default;
  flat_table(flat_table&& o) noexcept
      : slots_(std::move(o.slots_)),
        capacity_(std::exchange(o.capacity_, 0)),
        size_(std::exchange(o.size_, 0)) {}
  flat_table& operator=(flat_table&& o) noexcept {
    flat_table gone(std::move(*this));
    swap(o);
    return *this;
  }
  void swap(flat_table& o) noexcept {
    std::swap(slots_, o.slots_);
    std::swap(capacity_, o.capacity_);
    std::swap(size_, o.size_);
  }

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }

  /// The key's slot, or nullptr. O(1) expected.
  slot* find(std::string_view key, std::uint64_t hash) noexcept {
    if (capacity_ == 0) return nullptr;
    const std::uint64_t t = tag_of(hash);
    for (std::size_t i = home(t, capacity_);; i = next(i)) {
      slot& s = slots_[i];
      if (s.tag == 0) return nullptr;
      if (s.tag == t && s.pair.key() == key) return &s;
    }
  }

  /// A new slot for key, which must be absent, holding value and a default Extra. Grows the
  /// table (×1.5) past 3/4 full. Throws std::bad_alloc (or std::length_error past 2^32 slots)
  /// with the table unchanged.
  slot& insert(std::string_view key, std::string_view value, std::uint64_t hash) {
    if ((size_ + 1) * 4 > capacity_ * 3) grow();
    compact_pair p(key, value);  // may throw: before the table changes
    const std::uint64_t t = tag_of(hash);
    std::size_t i = home(t, capacity_);
    while (slots_[i].tag != 0) i = next(i);
    slot& s = slots_[i];
    s.tag = t;
    s.pair = std::move(p);
    ++size_;
    return s;
  }

  /// Removes s (a slot of this table). Later members of its cluster that may move back do,
  /// so a lookup never has to step over a hole. Invalidates pointers to slots.
  void erase(slot& s) noexcept { erase_at(static_cast<std::size_t>(&s - slots_.get())); }

  /// Calls f(const slot&) for every key, in slot order.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < capacity_; ++i)
      if (slots_[i].tag != 0) f(static_cast<const slot&>(slots_[i]));
  }

  /// Erases every slot for which pred(const slot&) holds; returns how many. A slot that the
  /// shifting moves onto one already looked at is looked at again, so pred must give the same
  /// answer twice (it does for "expired before now").
  template <class Pred>
  std::size_t erase_if(Pred&& pred) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < capacity_;) {
      if (slots_[i].tag != 0 && pred(static_cast<const slot&>(slots_[i]))) {
        erase_at(i);  // another slot may have shifted into i: look at it again
        ++n;
      } else {
        ++i;
      }
    }
    return n;
  }

 private:
  static std::uint64_t tag_of(std::uint64_t hash) noexcept { return hash | (1ull << 63); }
  // The slot a tag starts probing from: the low 32 bits scaled to [0, cap) (a multiply, not a
  // division: cap is not a power of two, so that growth by 1.5 keeps the table 50-75% full).
  static std::size_t home(std::uint64_t tag, std::size_t cap) noexcept {
    return static_cast<std::size_t>(((tag & 0xffffffffu) * cap) >> 32);
  }
  std::size_t next(std::size_t i) const noexcept { return i + 1 == capacity_ ? 0 : i + 1; }
  // Steps from a forward to b, around the end.
  std::size_t distance(std::size_t a, std::size_t b) const noexcept {
    return b >= a ? b - a : b + capacity_ - a;
  }

  void grow() {
    const std::size_t cap = capacity_ == 0 ? 8 : capacity_ + capacity_ / 2;
    if (cap > (std::size_t{1} << 32)) throw std::length_error("kv table: a shard is full");
    std::unique_ptr<slot[]> fresh(new slot[cap]);  // may throw: before the table changes
    for (std::size_t i = 0; i < capacity_; ++i) {
      slot& from = slots_[i];
      if (from.tag == 0) continue;
      std::size_t j = home(from.tag, cap);
      while (fresh[j].tag != 0) j = j + 1 == cap ? 0 : j + 1;
      fresh[j].tag = from.tag;
      fresh[j].extra = from.extra;
      fresh[j].pair = std::move(from.pair);
    }
    slots_ = std::move(fresh);
    capacity_ = cap;
  }

  void erase_at(std::size_t hole) noexcept {
    // Backward-shift deletion: walk the cluster after the hole; a slot whose home is not
    // within (hole, j] (going forward, around the end) may fill the hole, which moves to j.
    for (std::size_t j = next(hole); slots_[j].tag != 0; j = next(j)) {
      if (distance(home(slots_[j].tag, capacity_), j) >= distance(hole, j)) {
        slots_[hole].tag = slots_[j].tag;
        slots_[hole].extra = slots_[j].extra;
        slots_[hole].pair = std::move(slots_[j].pair);
        hole = j;
      }
    }
    slot& s = slots_[hole];
    s.tag = 0;
    s.extra = Extra{};
    s.pair = compact_pair();
    --size_;
  }

  std::unique_ptr<slot[]> slots_;
  std::size_t capacity_ = 0;  // 0, 8, then ×1.5 (rounded down)
  std::size_t size_ = 0;
};

}  // namespace kv
