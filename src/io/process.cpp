// Child processes: posix_spawn with file actions for the standard streams, a pidfd polled on the
// loop (or with ppoll, for the blocking waits) for the end, waitid(P_PIDFD) to reap,
// pidfd_send_signal to kill.
#include <brigade/io/process.hpp>
#include <brigade/io/timer.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

extern char** environ;

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace brigade {

task<void> pipe_stream::write(std::string_view buf) {
  while (!buf.empty()) buf.remove_prefix(co_await write_some(buf));
}

task<std::string> pipe_stream::read_to_end(std::size_t max_size) {
  std::string out;
  char chunk[16 * 1024];
  for (;;) {
    const std::size_t n = co_await read(chunk);
    if (n == 0) co_return out;
    if (out.size() + n > max_size)
      throw std::length_error("brigade::pipe_stream::read_to_end: more than " +
                              std::to_string(max_size) + " bytes");
    out.append(chunk, n);
  }
}

namespace {

// The file actions, attributes and pipe ends of one spawn, undone whatever happens.
struct spawn_setup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  int child_end[3] = {-1, -1, -1};
  int parent_end[3] = {-1, -1, -1};
  std::string what;

  explicit spawn_setup(std::string w) : what(std::move(w)) {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  spawn_setup(const spawn_setup&) = delete;
  spawn_setup& operator=(const spawn_setup&) = delete;
  ~spawn_setup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    for (int fd : child_end)
      if (fd >= 0) ::close(fd);
    for (int fd : parent_end)
      if (fd >= 0) ::close(fd);
  }
  void check(int err, const char* step) const {
    if (err != 0) throw std::system_error(err, std::system_category(), what + ": " + step);
  }

  // The child's descriptor `target` (0, 1, 2) as asked.
  void stream(int target, process::stdio how) {
    using kind = process::stdio::kind;
    switch (how.how()) {
      case kind::inherit:
        return;
      case kind::descriptor: {
        // A copy above 2, closed at exec: the dup2s of the three targets run in order in the
        // child, so from_fd(1) for stderr must still mean the parent's 1 after stdout moved.
        const int copy = ::fcntl(how.fd(), F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
          check(errno, ("descriptor " + std::to_string(how.fd()) + " for the child's " +
                        std::to_string(target))
                           .c_str());
        child_end[target] = copy;
        check(posix_spawn_file_actions_adddup2(&actions, copy, target), "dup2");
        return;
      }
      case kind::null:
        check(posix_spawn_file_actions_addopen(&actions, target, "/dev/null",
                                               target == 0 ? O_RDONLY : O_WRONLY, 0),
              "/dev/null");
        return;
      case kind::pipe: {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) < 0) check(errno, "pipe");
        const bool child_reads = target == 0;
        child_end[target] = fds[child_reads ? 0 : 1];
        parent_end[target] = fds[child_reads ? 1 : 0];
        const int flags = ::fcntl(parent_end[target], F_GETFL);
        if (flags < 0 || ::fcntl(parent_end[target], F_SETFL, flags | O_NONBLOCK) < 0)
          check(errno, "fcntl");
        // dup2 onto the standard descriptor clears close-on-exec there; the originals close.
        check(posix_spawn_file_actions_adddup2(&actions, child_end[target], target), "dup2");
        return;
      }
    }
  }
};

// Writing to a pipe whose reader has gone raises SIGPIPE, whose default action ends the whole
// process: ignore it once (as Go's and Rust's runtimes do), unless the program chose a handler,
// so such a write fails with EPIPE instead. Whether brigade did: its children get SIGPIPE back
// at its default action (a `yes | head` in them must end as usual).
bool ignore_sigpipe_once() {
  static const bool ignored_here = [] {
    struct sigaction old {};
    if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL)
      return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
    return false;
  }();
  return ignored_here;
}

// Whether an earlier process start made SIGPIPE ignored (without making it so now).
std::atomic<bool> sigpipe_ignored_by_us{false};

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

std::chrono::microseconds micros(const timeval& t) {
  return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
}

exit_status status_of(const siginfo_t& info, const rusage& usage) {
  exit_status s;
  if (info.si_code == CLD_EXITED) {
    s.code = info.si_status;
  } else {  // CLD_KILLED, CLD_DUMPED
    s.code = 128 + info.si_status;
    s.signal = info.si_status;
  }
  s.user_time = micros(usage.ru_utime);
  s.system_time = micros(usage.ru_stime);
  return s;
}

}  // namespace

process::stdio process::stdio::from_fd(int fd) {
  if (fd < 0)
    throw std::invalid_argument("brigade::process::stdio::from_fd: " + std::to_string(fd) +
                                " is not a descriptor");
  return {kind::descriptor, fd};
}

std::vector<std::string> process::environment_with(const std::vector<std::string>& changes) {
  auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry = *e;
    bool changed = false;
    for (const std::string& c : changes) changed = changed || name_of(c) == name_of(entry);
    if (!changed) env.emplace_back(entry);
  }
  for (const std::string& c : changes)
    if (c.find('=') != std::string::npos) env.push_back(c);
  return env;
}

process::process(event_loop& loop, std::vector<std::string> argv, options o) {
  if (argv.empty()) throw std::invalid_argument("brigade::process: argv is empty");
  // relaxed: the flag is only ever set to true, and sigaction itself is process-wide state
  // that every thread sees; a start racing with the first one may reset SIGPIPE needlessly
  // in its child (still the default the child would have got without brigade).
  if (o.in == stdio::pipe && ignore_sigpipe_once())
    sigpipe_ignored_by_us.store(true, std::memory_order_relaxed);
  spawn_setup s("brigade::process: cannot start \"" + argv[0] + "\"");
  s.stream(0, o.in);
  s.stream(1, o.out);
  s.stream(2, o.err);
  if (!o.cwd.empty())
    s.check(posix_spawn_file_actions_addchdir_np(&s.actions, o.cwd.c_str()),
            ("working directory \"" + o.cwd + "\"").c_str());
  // A brigade thread blocks signals (signal_set, pool workers): the child starts with none
  // blocked. Ignored signals stay ignored across exec, but for SIGPIPE when brigade ignored it.
  sigset_t none, ours;
  sigemptyset(&none);
  sigemptyset(&ours);
  if (sigpipe_ignored_by_us.load(std::memory_order_relaxed)) sigaddset(&ours, SIGPIPE);
  for (const int sig : o.default_signals)
    if (sigaddset(&ours, sig) != 0)
      throw std::invalid_argument(s.what + ": " + std::to_string(sig) + " is not a signal");
  s.check(posix_spawnattr_setsigmask(&s.attr, &none), "sigmask");
  s.check(posix_spawnattr_setsigdefault(&s.attr, &ours), "sigdefault");
  s.check(posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
          "flags");

  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<char*> envs;
  if (o.env) {
    for (auto& e : *o.env) envs.push_back(e.data());
    envs.push_back(nullptr);
  }
  pid_t pid = -1;
  // glibc reports a failed chdir or exec in the child as the result here (not as exit 127).
  const int err = ::posix_spawnp(&pid, args[0], &s.actions, &s.attr, args.data(),
                                 o.env ? envs.data() : environ);
  if (err != 0) throw std::system_error(err, std::system_category(), s.what);

  const int pidfd = pidfd_open(pid);
  if (pidfd < 0) {
    const int e = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw std::system_error(e, std::system_category(), s.what + ": pidfd_open");
  }
  loop_ = &loop;
  pid_ = pid;
  name_ = argv[0];
  pidfd_ = detail::fd_owner(loop, pidfd);
  if (s.parent_end[0] >= 0) in_ = pipe_stream(loop, std::exchange(s.parent_end[0], -1));
  if (s.parent_end[1] >= 0) out_ = pipe_stream(loop, std::exchange(s.parent_end[1], -1));
  if (s.parent_end[2] >= 0) err_ = pipe_stream(loop, std::exchange(s.parent_end[2], -1));
}

process::process(process&& o) noexcept
    : loop_(o.loop_),
      pid_(std::exchange(o.pid_, -1)),
      pidfd_(std::move(o.pidfd_)),
      status_(std::exchange(o.status_, std::nullopt)),
      name_(std::move(o.name_)),
      in_(std::move(o.in_)),
      out_(std::move(o.out_)),
      err_(std::move(o.err_)) {}

process& process::operator=(process&& o) noexcept {
  if (this != &o) {
    reset();
    loop_ = o.loop_;
    pid_ = std::exchange(o.pid_, -1);
    pidfd_ = std::move(o.pidfd_);
    status_ = std::exchange(o.status_, std::nullopt);
    name_ = std::move(o.name_);
    in_ = std::move(o.in_);
    out_ = std::move(o.out_);
    err_ = std::move(o.err_);
  }
  return *this;
}

process::~process() {
  reset();
}

void process::reset() noexcept {
  if (pidfd_.is_open() && !status_) {
    // Not waited for: end it now rather than leave it running unowned or as a zombie.
    ::syscall(SYS_pidfd_send_signal, pidfd_.native_handle(), SIGKILL, nullptr, 0);
    try {
      reap(true);
    } catch (...) {  // waitid failed for another reason than EINTR: nothing left to reap
    }
  }
  in_.close();
  out_.close();
  err_.close();
  pidfd_.close();
  status_.reset();
  pid_ = -1;
}

std::optional<exit_status> process::reap(bool block) {
  if (status_ || !pidfd_.is_open()) return status_;
  siginfo_t info{};
  rusage usage{};
  // The system call itself, not glibc's waitid: only it gives the child's resource usage.
  while (::syscall(SYS_waitid, P_PIDFD, pidfd_.native_handle(), &info,
                   WEXITED | (block ? 0 : WNOHANG), &usage) < 0) {
    if (errno != EINTR)
      throw std::system_error(errno, std::system_category(),
                              "brigade::process::wait: waitid for \"" + name_ + "\"");
  }
  if (info.si_pid == 0) return std::nullopt;  // still running (WNOHANG)
  status_ = status_of(info, usage);
  return status_;
}

void process::check_child(const char* what) const {
  if (!pidfd_.is_open() && !status_)
    throw std::logic_error(std::string("brigade::process::") + what +
                           ": no child (moved from or default-constructed)");
}

std::optional<exit_status> process::try_wait() {
  return reap(false);
}

exit_status process::blocking_wait() {
  check_child("blocking_wait");
  return *reap(true);
}

std::optional<exit_status> process::try_wait_for(std::chrono::nanoseconds limit) {
  check_child("try_wait_for");
  const auto now_ns = [] { return detail::to_loop_clock(std::chrono::steady_clock::now()); };
  // Saturates: a limit too long for the clock (nanoseconds::max()) waits for ever, not never.
  const std::int64_t deadline = detail::after_ns(now_ns(), limit);
  for (;;) {
    if (auto s = reap(false)) return s;
    const std::int64_t left = deadline - now_ns();
    if (left <= 0) return std::nullopt;
    const timespec ts{static_cast<time_t>(left / 1'000'000'000),
                      static_cast<long>(left % 1'000'000'000)};
    pollfd p{pidfd_.native_handle(), POLLIN, 0};
    if (::ppoll(&p, 1, &ts, nullptr) < 0 && errno != EINTR)
      throw std::system_error(errno, std::system_category(),
                              "brigade::process::try_wait_for: poll for \"" + name_ + "\"");
  }
}

task<exit_status> process::wait() {
  check_child("wait");
  for (;;) {
    if (auto s = try_wait()) co_return *s;
    // The pidfd turns readable when the child ends (it stays readable: no edge is missed).
    co_await detail::readiness_awaiter(*loop_, pidfd_.native_handle(), "brigade::process::wait");
  }
}

void process::kill(int sig) {
  if (status_ || !pidfd_.is_open()) return;
  if (::syscall(SYS_pidfd_send_signal, pidfd_.native_handle(), sig, nullptr, 0) < 0 &&
      errno != ESRCH)
    throw std::system_error(
        errno, std::system_category(),
        "brigade::process::kill: signal " + std::to_string(sig) + " to \"" + name_ + "\"");
}

}  // namespace brigade
