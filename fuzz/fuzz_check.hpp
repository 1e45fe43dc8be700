// The fuzz targets' invariant check: a failed one prints where and what, and aborts, which
// libFuzzer reports as a crash (and saves the input that caused it).
#pragma once

#include <cstdio>
#include <cstdlib>

#define fuzz_check(ok)                                                            \
  do {                                                                            \
    if (!(ok)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #ok); \
      std::abort();                                                               \
    }                                                                             \
  } while (false)
