// Starting fault_child as a child process with a chosen environment, optionally with io_uring
// refused by a seccomp filter, and collecting its exit status, stdout and stderr.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace brigade::testing {

struct child_result {
  int status = -1;  // the exit status, or -1 when it did not exit normally
  std::string out, err;
};

struct child_options {
  std::vector<std::string> env;  // NAME=VALUE added to (or replacing) ours; NAME alone unsets
  bool refuse_io_uring = false;  // io_uring_setup fails with EPERM, as under Docker's profile
};

#if defined(__x86_64__)
inline constexpr unsigned this_audit_arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
inline constexpr unsigned this_audit_arch = AUDIT_ARCH_AARCH64;
#endif

// In the child, before exec: from now on io_uring_setup fails with EPERM (for the program
// exec'd too; no_new_privs is what lets an unprivileged process install the filter).
// Async-signal-safe: only system calls.
inline bool refuse_io_uring_in_this_process() noexcept {
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

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline child_result run_child(const std::vector<std::string>& args, const child_options& o = {}) {
  namespace fs = std::filesystem;
  std::string dir_pattern = (fs::path(::testing::TempDir()) / "brigade-faults-XXXXXX").string();
  if (::mkdtemp(dir_pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return {};
  }
  const fs::path dir = dir_pattern;
  const std::string out = (dir / "stdout").string(), err = (dir / "stderr").string();

  // Everything the child needs is made before fork: after it, only system calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    bool replaced = false;
    for (const std::string& mine : o.env)
      replaced = replaced || kv.substr(0, kv.find('=')) == mine.substr(0, mine.find('='));
    if (!replaced) env_strings.push_back(kv);
  }
  for (const std::string& mine : o.env)
    if (mine.find('=') != std::string::npos) env_strings.push_back(mine);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args_copy = args;
  for (auto& s : args_copy) argv.push_back(s.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fo < 0 || fe < 0 || ::dup2(fo, 1) < 0 || ::dup2(fe, 2) < 0) ::_exit(126);
    if (o.refuse_io_uring && !refuse_io_uring_in_this_process()) ::_exit(125);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  child_result r;
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) {
    ADD_FAILURE() << "fork or waitpid failed";
    return r;
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  fs::remove_all(dir);
  return r;
}

}  // namespace brigade::testing
