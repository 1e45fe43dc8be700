// Runs a program as a kernel older than openat2 (Linux 5.6) would: a seccomp filter makes the
// system call fail with ENOSYS, then `without_openat2 PROGRAM ARGS...` executes PROGRAM.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace {

#if defined(__x86_64__)
constexpr unsigned this_arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned this_arch = AUDIT_ARCH_AARCH64;
#else
#error "without_openat2: add this architecture's AUDIT_ARCH_ value"
#endif

constexpr unsigned short load_word = BPF_LD | BPF_W | BPF_ABS;
constexpr unsigned short jump_if_equal = BPF_JMP | BPF_JEQ | BPF_K;
constexpr unsigned short give = BPF_RET | BPF_K;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: without_openat2 PROGRAM [ARGS...]\n");
    return 2;
  }
  // Another architecture's system calls (numbered differently) pass untouched.
  sock_filter filter[] = {
      {load_word, 0, 0, offsetof(seccomp_data, arch)},
      {jump_if_equal, 1, 0, this_arch},
      {give, 0, 0, SECCOMP_RET_ALLOW},
      {load_word, 0, 0, offsetof(seccomp_data, nr)},
      {jump_if_equal, 0, 1, SYS_openat2},
      {give, 0, 0, SECCOMP_RET_ERRNO | ENOSYS},
      {give, 0, 0, SECCOMP_RET_ALLOW},
  };
  sock_fprog program{sizeof filter / sizeof filter[0], filter};
  // Without privileges a filter needs no_new_privs (it is inherited across exec, as the filter is).
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    std::fprintf(stderr, "without_openat2: seccomp: %s\n", std::strerror(errno));
    return 1;
  }
  ::execv(argv[1], argv + 1);
  std::fprintf(stderr, "without_openat2: %s: %s\n", argv[1], std::strerror(errno));
  return 127;
}
