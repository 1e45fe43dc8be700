// Makes the kernel refuse one system call to this process and every program it executes from
// then on (a seccomp filter; no_new_privs lets an unprivileged process install it): how the tests
// stand in for a kernel without openat2 or a container that forbids io_uring.
#pragma once

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

#include <cstddef>

namespace brigade::testing {

#if defined(__x86_64__)
inline constexpr unsigned this_audit_arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
inline constexpr unsigned this_audit_arch = AUDIT_ARCH_AARCH64;
#else
#error "refuse_system_call: add this architecture's AUDIT_ARCH_ value"
#endif

/// System call `nr` fails with `error` (ENOSYS: "the kernel has no such call"; EPERM: "refused")
/// in this process from now on; other architectures' calls pass untouched. False (errno set)
/// when the filter cannot be installed.
inline bool refuse_system_call(long nr, int error) noexcept {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, this_audit_arch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0, 1),
      BPF_STMT(BPF_RET | BPF_K,
               SECCOMP_RET_ERRNO | (static_cast<unsigned>(error) & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

}  // namespace brigade::testing
