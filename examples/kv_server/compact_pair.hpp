// A key and its value in 32 bytes: inline while together they take at most 30 bytes (so a
// table's slot holds them with no allocation and no pointer to follow), else one heap block.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <string_view>

namespace kv {

/// Thread safety: none of its own (the table's shard lock guards it).
class compact_pair {
 public:
  static constexpr std::size_t inline_capacity = 30;  ///< key and value bytes together

  compact_pair() noexcept { set_inline_sizes(0, 0); }
  /// Throws std::bad_alloc.
  compact_pair(std::string_view key, std::string_view value) : compact_pair() {
    const std::size_t n = key.size() + value.size();
    char* to = bytes_;
    if (n > inline_capacity) {
      to = static_cast<char*>(::operator new(n));
      store_heap(to, key.size(), value.size(), n);
    } else {
      set_inline_sizes(key.size(), value.size());
    }
    std::memcpy(to, key.data(), key.size());
    std::memcpy(to + key.size(), value.data(), value.size());
  }
  compact_pair(compact_pair&& o) noexcept {
    std::memcpy(bytes_, o.bytes_, sizeof bytes_);
    o.set_inline_sizes(0, 0);
  }
  compact_pair& operator=(compact_pair&& o) noexcept {
    if (this != &o) {
      release();
      std::memcpy(bytes_, o.bytes_, sizeof bytes_);
      o.set_inline_sizes(0, 0);
    }
    return *this;
  }
  compact_pair(const compact_pair&) = delete;
  compact_pair& operator=(const compact_pair&) = delete;
  ~compact_pair() { release(); }

  std::string_view key() const noexcept { return {data(), key_size()}; }
  std::string_view value() const noexcept { return {data() + key_size(), value_size()}; }

  /// Replaces the value, keeping the key; v may point into this pair. Throws std::bad_alloc
  /// with *this unchanged.
  void set_value(std::string_view v) {
    const std::size_t k = key_size(), n = k + v.size();
    if (n <= inline_capacity) {
      char copy[inline_capacity];  // key and v may be in the heap block, freed next
      std::memcpy(copy, data(), k);
      std::memcpy(copy + k, v.data(), v.size());
      release();
      std::memcpy(bytes_, copy, n);
      set_inline_sizes(k, v.size());
      return;
    }
    // Reuse the block when it fits without being more than twice the need: a big value
    // overwritten by a small one must not keep its memory.
    if (on_heap() && n <= heap_capacity() && n >= heap_capacity() / 2) {
      std::memmove(heap_data() + k, v.data(), v.size());
      store_heap(heap_data(), k, v.size(), heap_capacity());
      return;
    }
    char* block = static_cast<char*>(::operator new(n));
    std::memcpy(block, data(), k);
    std::memcpy(block + k, v.data(), v.size());
    release();
    store_heap(block, k, v.size(), n);
  }

  bool on_heap() const noexcept { return static_cast<unsigned char>(bytes_[31]) == heap_tag; }
  /// Bytes of its own on the heap (0 when inline): for memory accounting and tests.
  std::size_t heap_capacity() const noexcept {
    if (!on_heap()) return 0;
    std::size_t c = 0;
    for (std::size_t i = 0; i < 7; ++i)
      c |= static_cast<std::size_t>(static_cast<unsigned char>(bytes_[24 + i])) << (8 * i);
    return c;
  }

 private:
  // Inline: the key's bytes from 0, then the value's; the key's size in byte 30 and the
  // value's in byte 31 (each 0-30). On the heap: the block's address in [0, 8), the key's size
  // in [8, 16), the value's in [16, 24), the block's capacity in [24, 31) (56 bits, byte by
  // byte), heap_tag in byte 31.
  static constexpr unsigned char heap_tag = 0xFF;

  const char* data() const noexcept { return on_heap() ? heap_data() : bytes_; }
  std::size_t key_size() const noexcept {
    return on_heap() ? load(8) : static_cast<unsigned char>(bytes_[30]);
  }
  std::size_t value_size() const noexcept {
    return on_heap() ? load(16) : static_cast<unsigned char>(bytes_[31]);
  }
  std::size_t load(std::size_t at) const noexcept {
    std::size_t n;
    std::memcpy(&n, bytes_ + at, sizeof n);
    return n;
  }
  char* heap_data() const noexcept {
    char* p;
    std::memcpy(&p, bytes_, sizeof p);
    return p;
  }
  void set_inline_sizes(std::size_t k, std::size_t v) noexcept {
    bytes_[30] = static_cast<char>(k);
    bytes_[31] = static_cast<char>(v);
  }
  void store_heap(char* block, std::size_t k, std::size_t v, std::size_t capacity) noexcept {
    std::memcpy(bytes_, &block, sizeof block);
    std::memcpy(bytes_ + 8, &k, sizeof k);
    std::memcpy(bytes_ + 16, &v, sizeof v);
    for (std::size_t i = 0; i < 7; ++i) bytes_[24 + i] = static_cast<char>(capacity >> (8 * i));
    bytes_[31] = static_cast<char>(heap_tag);
  }
  void release() noexcept {
    if (on_heap()) ::operator delete(heap_data());
    set_inline_sizes(0, 0);
  }

  alignas(8) char bytes_[32];
};

static_assert(sizeof(compact_pair) == 32);

}  // namespace kv
