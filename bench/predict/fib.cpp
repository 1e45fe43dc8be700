// fib by brigade::join, below a serial cutoff: a small program for bench/predict/run_predict.sh.
//
//   predict_fib [N] [CUTOFF]      (defaults 42 and 22; prints fib(N))
//
// Every call with n > CUTOFF forks once, so the trace records one fork per such call; below the
// cutoff the recursion is plain. BRIGADE_THREADS=N sets the pool's size.
#include <brigade/pool/join.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

long serial_fib(int n) {
  return n < 2 ? n : serial_fib(n - 1) + serial_fib(n - 2);
}

long fib(int n, int cutoff) {
  if (n <= cutoff) return serial_fib(n);
  auto [a, b] =
      brigade::join([=] { return fib(n - 1, cutoff); }, [=] { return fib(n - 2, cutoff); });
  return a + b;
}

int argument(int argc, char** argv, int i, int fallback) {
  if (argc <= i) return fallback;
  char* end = nullptr;
  const long v = std::strtol(argv[i], &end, 10);
  if (end == argv[i] || *end != '\0' || v < 0 || v > 60) {
    std::fprintf(stderr,
                 "predict_fib: \"%s\" is not an integer in 0 .. 60 (usage: predict_fib "
                 "[N] [CUTOFF])\n",
                 argv[i]);
    std::exit(2);
  }
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argument(argc, argv, 1, 42);
  const int cutoff = argument(argc, argv, 2, 22);
  std::printf("fib(%d) = %ld (serial below %d)\n", n, fib(n, cutoff), cutoff + 1);
  return 0;
}
