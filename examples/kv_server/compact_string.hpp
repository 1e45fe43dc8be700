// A byte string in 24 bytes that keeps up to 22 bytes inline, so the table's keys and short
// values sit in its slots with no allocation, and no pointer to follow, of their own.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <string_view>

namespace kv {

/// Thread safety: none of its own (the table's shard lock guards it).
class compact_string {
 public:
  static constexpr std::size_t inline_capacity = 22;

  compact_string() noexcept { bytes_[tag_at] = 0; }
  explicit compact_string(std::string_view s) : compact_string() { assign(s); }
  compact_string(compact_string&& o) noexcept {
    std::memcpy(bytes_, o.bytes_, sizeof bytes_);
    o.bytes_[tag_at] = 0;
  }
  compact_string& operator=(compact_string&& o) noexcept {
    if (this != &o) {
      release();
      std::memcpy(bytes_, o.bytes_, sizeof bytes_);
      o.bytes_[tag_at] = 0;
    }
    return *this;
  }
  compact_string(const compact_string&) = delete;
  compact_string& operator=(const compact_string&) = delete;
  ~compact_string() { release(); }

  /// s may point into this string. Throws std::bad_alloc with *this unchanged.
  void assign(std::string_view s) {
    const std::size_t n = s.size();
    if (n <= inline_capacity) {
      char copy[inline_capacity];  // s may be this string's own heap block, freed next
      std::memcpy(copy, s.data(), n);
      release();
      std::memcpy(bytes_, copy, n);
      bytes_[tag_at] = static_cast<char>(n);
      return;
    }
    // Reuse the block when it fits without being more than twice the need: a big value
    // overwritten by a small one must not keep its memory.
    if (on_heap() && n <= heap_capacity() && n >= heap_capacity() / 2) {
      std::memmove(heap_data(), s.data(), n);
      store(heap_data(), n, heap_capacity());
      return;
    }
    char* block = static_cast<char*>(::operator new(n));
    std::memcpy(block, s.data(), n);
    release();
    store(block, n, n);
  }

  std::string_view view() const noexcept {
    if (!on_heap()) return {bytes_, static_cast<std::size_t>(bytes_[tag_at])};
    return {heap_data(), heap_size()};
  }
  std::size_t size() const noexcept { return view().size(); }
  bool on_heap() const noexcept { return static_cast<unsigned char>(bytes_[tag_at]) == heap_tag; }
  /// Bytes of its own on the heap (0 when inline): for memory accounting and tests.
  std::size_t heap_capacity() const noexcept {
    if (!on_heap()) return 0;
    std::size_t c = 0;
    for (std::size_t i = 0; i < 7; ++i)
      c |= static_cast<std::size_t>(static_cast<unsigned char>(bytes_[16 + i])) << (8 * i);
    return c;
  }

 private:
  // Inline: the bytes from 0, the size in the last byte (0-22). On the heap: the block's
  // address in [0, 8), the size in [8, 16), the block's capacity in [16, 23) (56 bits, byte by
  // byte), and heap_tag in the last byte.
  static constexpr std::size_t tag_at = 23;
  static constexpr unsigned char heap_tag = 0xFF;

  char* heap_data() const noexcept {
    char* p;
    std::memcpy(&p, bytes_, sizeof p);
    return p;
  }
  std::size_t heap_size() const noexcept {
    std::size_t n;
    std::memcpy(&n, bytes_ + 8, sizeof n);
    return n;
  }
  void store(char* block, std::size_t n, std::size_t capacity) noexcept {
    std::memcpy(bytes_, &block, sizeof block);
    std::memcpy(bytes_ + 8, &n, sizeof n);
    for (std::size_t i = 0; i < 7; ++i) bytes_[16 + i] = static_cast<char>(capacity >> (8 * i));
    bytes_[tag_at] = static_cast<char>(heap_tag);
  }
  void release() noexcept {
    if (on_heap()) ::operator delete(heap_data());
    bytes_[tag_at] = 0;
  }

  alignas(8) char bytes_[24];
};

static_assert(sizeof(compact_string) == 24);

}  // namespace kv
