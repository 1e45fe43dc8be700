// Uses the installed brigade: a parallel sum that must equal the closed form.
#include <brigade/brigade.hpp>

#include <cstdio>

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
  std::printf("consumer ok: %zu\n", sum);
  return 0;
}
