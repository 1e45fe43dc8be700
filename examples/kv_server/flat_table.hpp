// An open-addressing hash table of string keys: one array of slots, each holding the key's
// hash, the key and the value inline, probed linearly, erased by shifting the cluster back
// (no tombstones). A lookup of a short key reads one or two adjacent cache lines; a chained
// std::unordered_map follows a bucket, a node and the key's heap buffer.
#pragma once

#include "compact_string.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

namespace kv {

/// The caller hashes: the same hash picks the kv table's shard (from its high bits) and the
/// slot here (from its low bits), and is computed once per command.
/// Thread safety: none of its own (one shard's lock guards each table).
/// Pointers to slots stay valid until the next insert or erase.
template <class Value>
class flat_table {
 public:
  struct slot {
    std::uint64_t tag = 0;  // 0: empty; else the hash with its top bit set
    compact_string key;
    Value value{};
  };

  flat_table() = default;
  flat_table(flat_table&& o) noexcept
      : slots_(std::move(o.slots_)),
        capacity_(std::exchange(o.capacity_, 0)),
        size_(std::exchange(o.size_, 0)) {}
  flat_table& operator=(flat_table&& o) noexcept {
    flat_table gone(std::move(*this));
    slots_ = std::move(o.slots_);
    capacity_ = std::exchange(o.capacity_, 0);
    size_ = std::exchange(o.size_, 0);
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
    for (std::size_t i = t & mask();; i = (i + 1) & mask()) {
      slot& s = slots_[i];
      if (s.tag == 0) return nullptr;
      if (s.tag == t && s.key.view() == key) return &s;
    }
  }

  /// A new slot for key, which must be absent, with a default Value. Grows the table (×2)
  /// past 3/4 full. Throws std::bad_alloc with the table unchanged.
  slot& insert(std::string_view key, std::uint64_t hash) {
    if ((size_ + 1) * 4 > capacity_ * 3) grow();
    compact_string k(key);  // may throw: before the table changes
    const std::uint64_t t = tag_of(hash);
    std::size_t i = t & mask();
    while (slots_[i].tag != 0) i = (i + 1) & mask();
    slot& s = slots_[i];
    s.tag = t;
    s.key = std::move(k);
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
  std::size_t mask() const noexcept { return capacity_ - 1; }

  void grow() {
    const std::size_t cap = capacity_ == 0 ? 8 : capacity_ * 2;
    std::unique_ptr<slot[]> fresh(new slot[cap]);  // may throw: before the table changes
    for (std::size_t i = 0; i < capacity_; ++i) {
      slot& from = slots_[i];
      if (from.tag == 0) continue;
      std::size_t j = from.tag & (cap - 1);
      while (fresh[j].tag != 0) j = (j + 1) & (cap - 1);
      fresh[j].tag = from.tag;
      fresh[j].key = std::move(from.key);
      fresh[j].value = std::move(from.value);
    }
    slots_ = std::move(fresh);
    capacity_ = cap;
  }

  void erase_at(std::size_t hole) noexcept {
    // Backward-shift deletion: walk the cluster after the hole; a slot whose home (hash & mask)
    // is not cyclically within (hole, j] may fill the hole, which then moves to j.
    for (std::size_t j = (hole + 1) & mask(); slots_[j].tag != 0; j = (j + 1) & mask()) {
      const std::size_t home = slots_[j].tag & mask();
      if (((j - home) & mask()) >= ((j - hole) & mask())) {
        slots_[hole].tag = slots_[j].tag;
        slots_[hole].key = std::move(slots_[j].key);
        slots_[hole].value = std::move(slots_[j].value);
        hole = j;
      }
    }
    slot& s = slots_[hole];
    s.tag = 0;
    s.key = compact_string();
    s.value = Value{};
    --size_;
  }

  std::unique_ptr<slot[]> slots_;
  std::size_t capacity_ = 0;  // 0 or a power of two
  std::size_t size_ = 0;
};

}  // namespace kv
