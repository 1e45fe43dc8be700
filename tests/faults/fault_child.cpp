// The program the process-level fault tests start: `pool-work CODE` sums on the pool and exits
// with CODE (its trace, with BRIGADE_TRACE set, is written at exit); `loop` runs a coroutine
// on an event loop of the automatic backend (a second loop made beside it) and prints the
// backends' names. A first argument `--refuse-io-uring` makes the kernel refuse io_uring to
// this process from then on (a seccomp filter), as Docker's default profile does.
#include <brigade/core/task.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/par/parallel_reduce.hpp>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

namespace {

#if defined(__x86_64__)
constexpr unsigned this_audit_arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned this_audit_arch = AUDIT_ARCH_AARCH64;
#endif

// From now on io_uring_setup fails with EPERM in this process (no_new_privs is what lets an
// unprivileged process install the filter).
bool refuse_io_uring() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, this_audit_arch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),  // another ABI: leave it alone
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

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
    if (!refuse_io_uring()) {
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
