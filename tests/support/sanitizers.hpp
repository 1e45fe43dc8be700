// Which sanitizer this test build runs under, for tests that must skip or adapt: BRIGADE_TSAN
// (ThreadSanitizer) and BRIGADE_ASAN (AddressSanitizer), each 1 when on. GCC says so with
// __SANITIZE_*__, clang with __has_feature.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define BRIGADE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BRIGADE_TSAN 1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#define BRIGADE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BRIGADE_ASAN 1
#endif
#endif
