// Uses the installed brigade: a parallel sum that must equal the closed form, and a long loop of
// co_awaits on tasks that finish without suspending (each a symmetric transfer there and back).
#include <brigade/brigade.hpp>

#include <cstdio>

// Built with -DBRIGADE_CONSUMER_EXPECTS_CXX23 by the install test: the consumer's own -std must
// win over anything brigade.pc says.
#ifdef BRIGADE_CONSUMER_EXPECTS_CXX23
static_assert(__cplusplus > 202002L, "the consumer asked for C++23 but compiles as C++20");
#endif

namespace {

brigade::task<long> ready(long i) {
  co_return i;  // never suspends: the awaiter resumes by symmetric transfer
}

// Without tail calls for those transfers (GCC needs -foptimize-sibling-calls, off at -O0), every
// iteration leaves frames on the stack and the loop overflows it long before the end.
brigade::task<long> await_many(long n) {
  long sum = 0;
  for (long i = 0; i < n; ++i) sum += co_await ready(i);
  co_return sum;
}

}  // namespace

int main() {
  const std::size_t n = 100000;
  const auto sum = brigade::parallel_reduce(
      std::size_t{0}, n, std::size_t{0},
      [](std::size_t b, std::size_t e, std::size_t acc) {
        for (std::size_t i = b; i < e; ++i) acc += i;
        return acc;
      },
      [](std::size_t x, std::size_t y) { return x + y; });
  if (sum != n * (n - 1) / 2) {
    std::fprintf(stderr, "wrong sum %zu\n", sum);
    return 1;
  }

  const long awaits = 1'000'000;
  const long awaited = brigade::sync_wait(await_many(awaits));
  if (awaited != awaits * (awaits - 1) / 2) {
    std::fprintf(stderr, "wrong sum of awaited values %ld\n", awaited);
    return 1;
  }
  std::printf("consumer ok: %zu, %ld synchronous co_awaits\n", sum, awaits);
  return 0;
}
