// Starting fault_child as a child process (brigade::process) with a chosen environment,
// optionally with io_uring refused by a seccomp filter (fault_child installs it on itself first
// thing, before any event loop exists), and collecting its exit status, stdout and stderr.
#pragma once

#include <brigade/io/event_loop.hpp>
#include <brigade/io/process.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <exception>
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

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// args[0] is fault_child; with refuse_io_uring it gets --refuse-io-uring first.
inline child_result run_child(std::vector<std::string> args, const child_options& o = {}) {
  namespace fs = std::filesystem;
  using stdio = brigade::process::stdio;
  std::string dir_pattern = (fs::path(::testing::TempDir()) / "brigade-faults-XXXXXX").string();
  if (::mkdtemp(dir_pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return {};
  }
  const fs::path dir = dir_pattern;
  const fs::path out = dir / "stdout", err = dir / "stderr";
  if (o.refuse_io_uring) args.insert(args.begin() + 1, "--refuse-io-uring");
  child_result r;
  const int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  try {
    // epoll: the loop only owns the child here (never run), and must say nothing itself.
    brigade::event_loop loop(brigade::event_loop::options{brigade::io_backend::epoll});
    brigade::process p(loop, args,
                       {.env = brigade::process::environment_with(o.env),
                        .out = stdio::from_fd(fo),
                        .err = stdio::from_fd(fe)});
    const brigade::exit_status s = p.blocking_wait();
    r.status = s.exited() ? s.code : -1;
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
  ::close(fo);
  ::close(fe);
  r.out = slurp(out);
  r.err = slurp(err);
  fs::remove_all(dir);
  return r;
}

}  // namespace brigade::testing
