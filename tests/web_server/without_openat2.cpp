// Runs a program as a kernel older than openat2 (Linux 5.6) would: a seccomp filter makes the
// system call fail with ENOSYS, then `without_openat2 PROGRAM ARGS...` executes PROGRAM.
#include "../support/refuse_system_call.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: without_openat2 PROGRAM [ARGS...]\n");
    return 2;
  }
  // The filter is inherited across exec, as no_new_privs is.
  if (!brigade::testing::refuse_system_call(SYS_openat2, ENOSYS)) {
    std::fprintf(stderr, "without_openat2: seccomp: %s\n", std::strerror(errno));
    return 1;
  }
  ::execv(argv[1], argv + 1);
  std::fprintf(stderr, "without_openat2: %s: %s\n", argv[1], std::strerror(errno));
  return 127;
}
