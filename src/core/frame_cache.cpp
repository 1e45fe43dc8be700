// The per-thread cache of coroutine frames (frame_cache.hpp).
//
// Blocks up to 4 KiB are rounded up to a multiple of 16 bytes (as malloc does: a cached frame
// costs no more memory than an uncached one); each of those 256 sizes keeps a singly linked list
// of freed blocks, at most max_per_size (256) of them and all together at most max_cached_bytes
// (512 KiB) per thread, however many frames it frees. A loop serving requests keeps about one
// block per connection in the middle of a request (web_server at 100 connections: about
// 250 KiB). Larger frames, and frees past the caps, go straight to operator delete. Only the
// owning thread touches its lists: no atomics.
// Under AddressSanitizer the cache is off (BRIGADE_FRAME_CACHE, in the header).
#include <brigade/core/detail/frame_cache.hpp>

#include <new>

namespace brigade::detail {

#if BRIGADE_FRAME_CACHE
namespace {

constexpr std::size_t granule = 16;
constexpr std::size_t sizes = 256;  // 16, 32, ..., 4096 bytes
constexpr unsigned max_per_size = 256;
constexpr std::size_t max_cached_bytes = 512 * 1024;

struct free_block {
  free_block* next;
};

// Trivially destructible, so reaching it costs no thread_local guard; `drain` below empties it
// when the thread ends.
struct thread_cache {
  free_block* head[sizes];
  unsigned count[sizes];
  std::size_t bytes;  // in all the lists
  bool drain_registered;
  bool ended;  // the thread is ending: frames freed from now on go back to operator delete
};
constinit thread_local thread_cache cache{};

void release_all() noexcept {
  for (std::size_t s = 0; s < sizes; ++s) {
    while (free_block* b = cache.head[s]) {
      cache.head[s] = b->next;
      ::operator delete(b);
    }
    cache.count[s] = 0;
  }
  cache.bytes = 0;
}

// Constructed on a thread's first cached free; its destructor runs when the thread ends.
struct drain {
  drain() noexcept { cache.drain_registered = true; }
  drain(const drain&) = delete;
  drain& operator=(const drain&) = delete;
  ~drain() {
    cache.ended = true;
    release_all();
  }
};

// The index of the size class of n bytes (n > 0), or `sizes` when n is too large to cache.
std::size_t size_class(std::size_t n) noexcept {
  const std::size_t s = (n + granule - 1) / granule - 1;
  return s < sizes ? s : sizes;
}

}  // namespace

void* allocate_frame(std::size_t n) {
  const std::size_t s = size_class(n);
  if (s == sizes) return ::operator new(n);
  if (free_block* b = cache.head[s]) {
    cache.head[s] = b->next;
    --cache.count[s];
    cache.bytes -= (s + 1) * granule;
    return b;
  }
  return ::operator new((s + 1) * granule);
}

void free_frame(void* p, std::size_t n) noexcept {
  const std::size_t s = size_class(n);
  if (s == sizes) {
    ::operator delete(p);
    return;
  }
  if (cache.count[s] >= max_per_size || cache.bytes + (s + 1) * granule > max_cached_bytes ||
      cache.ended) {
    ::operator delete(p);
    return;
  }
  if (!cache.drain_registered) {
    // A thread_local with a destructor: constructed here once per thread, run at its end.
    static thread_local drain d;
    (void)d;
  }
  auto* b = static_cast<free_block*>(p);
  b->next = cache.head[s];
  cache.head[s] = b;
  ++cache.count[s];
  cache.bytes += (s + 1) * granule;
}

void trim_frame_cache() noexcept {
  release_all();
}

std::size_t cached_frame_bytes() noexcept {
  return cache.bytes;
}

#else  // BRIGADE_FRAME_CACHE

void* allocate_frame(std::size_t n) {
  return ::operator new(n);
}

void free_frame(void* p, std::size_t) noexcept {
  ::operator delete(p);
}

void trim_frame_cache() noexcept {}

std::size_t cached_frame_bytes() noexcept {
  return 0;
}

#endif  // BRIGADE_FRAME_CACHE

}  // namespace brigade::detail
