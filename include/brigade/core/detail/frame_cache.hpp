// Where brigade::task frames come from: per-thread pages of equal-sized blocks, one size per
// page (src/core/frame_cache.cpp has the design). A server that starts the same few coroutines
// for every request allocates nothing in steady state (each frame reuses the block the previous
// one of its size freed), and a million sleeping tasks cost their frames' bytes, without
// malloc's header per block or its merging of freed neighbours.
#pragma once

#include <cstddef>

// Off under AddressSanitizer, so that a use of a frame after its end is still reported (a block
// on a page would be reused without a word): every frame is then an operator new of its own.
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

/// Whether frames come from the pages in this build (else from operator new, one each).
inline constexpr bool frame_cache_on = BRIGADE_FRAME_CACHE != 0;

/// A block of at least n bytes for one object of n bytes (a coroutine frame): from one of this
/// thread's pages up to 2 KiB, from operator new above. Aligned to 16 bytes
/// (__STDCPP_DEFAULT_NEW_ALIGNMENT__) when n is a multiple of 16, else to 8, which is all an
/// object of that size can need (its size is a multiple of its alignment). Throws
/// std::bad_alloc as operator new does.
void* allocate_frame(std::size_t n);

/// Gives back a block of allocate_frame(n), on any thread (a frame may end on another thread
/// than the one it started on, or after that thread has ended: the block goes back to its page).
void free_frame(void* p, std::size_t n) noexcept;

/// Gives this thread's pages that hold no frame back to the shared pool, and allocates no more
/// frames from the others (they go back when their last frame ends).
void trim_frame_cache() noexcept;

/// The bytes of free blocks on the pages this thread allocates from (0 when the pages are off).
std::size_t cached_frame_bytes() noexcept;

/// The pages (64 KiB each) taken from the shared pool by all threads and not given back: the
/// memory frames hold, for tests that check none is lost (0 when the pages are off).
std::size_t frame_pages_in_use() noexcept;

}  // namespace brigade::detail
