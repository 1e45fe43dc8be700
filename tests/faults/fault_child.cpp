// The program the process-level fault tests start: `pool-work CODE` sums on the pool and exits
// with CODE (its trace, with BRIGADE_TRACE set, is written at exit); `loop` runs a coroutine
// on an event loop of the automatic backend (a second loop made beside it) and prints the
// backends' names. A first argument `--refuse-io-uring` makes the kernel refuse io_uring to
// this process from then on (a seccomp filter), as Docker's default profile does.
#include <brigade/core/task.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/par/parallel_reduce.hpp>

#include "../support/refuse_system_call.hpp"

#include <sys/syscall.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

namespace {

int pool_work(int code) {
  const long sum = brigade::parallel_reduce(
      0L, 1000L, 0L,
      [](long b, long e, long acc) {
        for (long i = b; i < e; ++i) acc += i;
        return acc;
      },
      [](long a, long b) { return a + b; });
  std::printf("sum %ld\n", sum);
  return code;
}

int loop() {
  try {
    brigade::event_loop l;
    brigade::event_loop second;  // a fallback is reported once per process, not per loop
    auto one = []() -> brigade::task<int> { co_return 1; };
    std::printf("%s %s %d\n", l.backend_name(), second.backend_name(), l.run_until(one()));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fault_child: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--refuse-io-uring") == 0) {
    if (!brigade::testing::refuse_system_call(SYS_io_uring_setup, EPERM)) {
      std::perror("fault_child: seccomp");
      return 125;
    }
    --argc;
    ++argv;
  }
  if (argc == 3 && std::strcmp(argv[1], "pool-work") == 0) return pool_work(std::atoi(argv[2]));
  if (argc == 2 && std::strcmp(argv[1], "loop") == 0) return loop();
  std::fprintf(stderr, "usage: fault_child [--refuse-io-uring] pool-work CODE | loop\n");
  return 64;
}
