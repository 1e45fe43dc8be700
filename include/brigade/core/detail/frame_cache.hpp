// Where brigade::task frames come from: a small per-thread cache of freed frames, by size, in
// front of operator new. A server that starts the same few coroutines for every request then
// allocates nothing in steady state: each frame reuses the block the previous one of its size
// freed on this thread.
#pragma once

#include <cstddef>

// Off under AddressSanitizer, so that a use of a frame after its end is still reported (a cached
// block would be reused without a word).
#if !defined(BRIGADE_FRAME_CACHE)
#if defined(__SANITIZE_ADDRESS__)
#define BRIGADE_FRAME_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BRIGADE_FRAME_CACHE 0
#endif
#endif
#endif
#if !defined(BRIGADE_FRAME_CACHE)
#define BRIGADE_FRAME_CACHE 1
#endif

namespace brigade::detail {

/// Whether freed frames are kept for reuse in this build.
inline constexpr bool frame_cache_on = BRIGADE_FRAME_CACHE != 0;

/// A block of at least n bytes for a coroutine frame, aligned for any object operator new
/// aligns (__STDCPP_DEFAULT_NEW_ALIGNMENT__). Throws std::bad_alloc as operator new does.
void* allocate_frame(std::size_t n);

/// Gives back a block of allocate_frame(n), on any thread (a frame may end on another thread
/// than the one it started on: it goes to this thread's cache).
void free_frame(void* p, std::size_t n) noexcept;

/// Returns the blocks this thread's cache holds to operator delete, so that the next frame
/// allocated here comes from operator new (a test that makes that allocation fail needs this).
void trim_frame_cache() noexcept;

/// The bytes of freed blocks this thread's cache holds (0 when the cache is off).
std::size_t cached_frame_bytes() noexcept;

}  // namespace brigade::detail
