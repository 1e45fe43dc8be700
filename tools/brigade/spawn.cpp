// posix_spawnp with an edited environment, descriptors on /dev/null or dup2'd, a signal mask
// and signals set back to their default action.
#include "spawn.hpp"

#include <fcntl.h>
#include <spawn.h>

#include <cstring>
#include <stdexcept>

extern char** environ;

namespace brigade::cli {
namespace {

// Our environment with each "NAME=value" of `overrides` replacing NAME (or added).
std::vector<std::string> merged_environment(const std::vector<std::string>& overrides) {
  std::vector<std::string> env;
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    bool replaced = false;
    for (const std::string& o : overrides) replaced = replaced || name_of(o) == name_of(entry);
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), overrides.begin(), overrides.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Owns a posix_spawn_file_actions_t.
struct file_actions {
  posix_spawn_file_actions_t fa;
  file_actions() { posix_spawn_file_actions_init(&fa); }
  ~file_actions() { posix_spawn_file_actions_destroy(&fa); }
  file_actions(const file_actions&) = delete;
  file_actions& operator=(const file_actions&) = delete;
};

// Owns a posix_spawnattr_t.
struct spawn_attributes {
  posix_spawnattr_t attr;
  spawn_attributes() { posix_spawnattr_init(&attr); }
  ~spawn_attributes() { posix_spawnattr_destroy(&attr); }
  spawn_attributes(const spawn_attributes&) = delete;
  spawn_attributes& operator=(const spawn_attributes&) = delete;
};

}  // namespace

pid_t spawn(const spawn_options& o) {
  if (o.argv.empty()) throw std::invalid_argument("no command to run");
  std::vector<std::string> args = o.argv;
  std::vector<std::string> env = merged_environment(o.env);
  std::vector<char*> argv = c_strings(args);
  std::vector<char*> envp = c_strings(env);

  file_actions actions;
  for (const int fd : o.dev_null)
    posix_spawn_file_actions_addopen(&actions.fa, fd, "/dev/null", O_RDWR, 0);
  // dup2 clears close-on-exec on the copy, so pipes made with O_CLOEXEC reach the child only
  // where asked.
  for (const auto& [ours, theirs] : o.dup2)
    posix_spawn_file_actions_adddup2(&actions.fa, ours, theirs);
  spawn_attributes attributes;
  short flags = 0;
  if (o.signal_mask != nullptr) {
    posix_spawnattr_setsigmask(&attributes.attr, o.signal_mask);
    flags |= POSIX_SPAWN_SETSIGMASK;
  }
  if (o.signal_default != nullptr) {
    posix_spawnattr_setsigdefault(&attributes.attr, o.signal_default);
    flags |= POSIX_SPAWN_SETSIGDEF;
  }
  posix_spawnattr_setflags(&attributes.attr, flags);
  pid_t pid = -1;
  const int err =
      posix_spawnp(&pid, argv[0], &actions.fa, &attributes.attr, argv.data(), envp.data());
  if (err != 0) throw std::runtime_error("cannot run \"" + o.argv[0] + "\": " + std::strerror(err));
  return pid;
}

}  // namespace brigade::cli
