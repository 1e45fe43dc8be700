// Starting (brigade::process), reading from and stopping child processes: pipes, and waits with a
// deadline (a child that hangs fails the test instead of hanging it).
#include "child_process.hpp"

#include "../support/wait_or_kill.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace web_test {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// stdin is /dev/null: a child never waits for input that no test gives it.
brigade::process spawn(brigade::event_loop& loop, std::vector<std::string> argv,
                       const std::vector<std::string>& env, int out, int err) {
  using stdio = brigade::process::stdio;
  return brigade::process(loop, std::move(argv),
                          {.env = brigade::process::environment_with(env),
                           .in = stdio::null,
                           .out = stdio::from_fd(out),
                           .err = stdio::from_fd(err)});
}

// The child's exit code (128 + signal), or -1 if it is still running at `deadline` (it is then
// killed). The CPU time it used goes to *cpu when it exits in time.
int wait_until(brigade::process& p, steady::time_point deadline, double* cpu = nullptr) {
  const std::optional<brigade::exit_status> s =
      brigade::testing::wait_or_kill(p, std::max(deadline - steady::now(), steady::duration(0)));
  if (!s) return -1;
  if (cpu != nullptr) *cpu = std::chrono::duration<double>(s->user_time + s->system_time).count();
  return s->code;
}

int poll_ms(steady::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
  return static_cast<int>(std::max<std::int64_t>(left.count(), 0));
}

struct pipe_pair {
  pipe_pair() {
    if (::pipe2(fds, O_CLOEXEC) < 0)
      throw std::system_error(errno, std::generic_category(), "pipe");
  }
  ~pipe_pair() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  void close_write() {
    ::close(fds[1]);
    fds[1] = -1;
  }
  int fds[2] = {-1, -1};
};

}  // namespace

run_result run_program(const std::vector<std::string>& argv, std::chrono::seconds limit,
                       const std::vector<std::string>& env) {
  pipe_pair out, err;
  brigade::event_loop loop(brigade::event_loop::options{brigade::io_backend::epoll});
  brigade::process p = spawn(loop, argv, env, out.fds[1], err.fds[1]);
  out.close_write();
  err.close_write();
  const auto deadline = steady::now() + limit;
  run_result r;
  pollfd fds[2] = {{out.fds[0], POLLIN, 0}, {err.fds[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open = 2;
  while (open > 0 && ::poll(fds, 2, poll_ms(deadline)) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open;
      }
    }
  }
  r.code = wait_until(p, open == 0 ? steady::now() + 10s : steady::now());
  return r;
}

server_process::server_process(std::vector<std::string> flags, std::vector<std::string> env,
                               std::vector<std::string> prefix) {
  char path[] = "/tmp/web_server_log_XXXXXX";
  const int log_fd = ::mkstemp(path);
  if (log_fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp");
  log_path_ = path;
  pipe_pair out;
  std::vector<std::string> argv = std::move(prefix);
  argv.push_back(server_binary());
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {"--port", "0"});
  try {
    process_ = spawn(loop_, std::move(argv), env, out.fds[1], log_fd);
  } catch (...) {
    ::close(log_fd);
    throw;
  }
  running_ = true;
  ::close(log_fd);
  out.close_write();
  stdout_fd_ = std::exchange(out.fds[0], -1);
  // The first line names the port. Sanitized builds start slowly: a generous deadline.
  const auto deadline = steady::now() + 30s;
  std::string line;
  pollfd p{stdout_fd_, POLLIN, 0};
  while (line.find('\n') == std::string::npos && ::poll(&p, 1, poll_ms(deadline)) > 0) {
    char buf[256];
    const ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  const std::size_t colon = line.rfind(':');
  if (line.rfind("listening on ", 0) != 0 || colon == std::string::npos) {
    stop(SIGKILL, 10s);
    throw std::runtime_error("web_server did not start (stdout: \"" + line + "\"):\n" + log());
  }
  port_ = static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
}

server_process::~server_process() {
  if (running()) stop(SIGKILL, 10s);
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  ::unlink(log_path_.c_str());
}

int server_process::stop(int sig, std::chrono::seconds limit) {
  if (!running()) return -1;
  process_.kill(sig);
  return wait_for_exit(limit);
}

int server_process::wait_for_exit(std::chrono::seconds limit) {
  if (!running()) return -1;
  const int code = wait_until(process_, steady::now() + limit, &cpu_at_exit_);
  running_ = false;
  return code;
}

double server_process::cpu_seconds() const {
  if (!running()) return cpu_at_exit_;
  std::ifstream in("/proc/" + std::to_string(pid()) + "/stat");
  std::string stat;
  std::getline(in, stat);
  // After the command name (in parentheses, which may hold spaces): state is field 3, utime
  // and stime are fields 14 and 15, in clock ticks.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;
  double utime = 0;
  double stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string server_process::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

long server_process::rss_bytes() const {
  std::ifstream in("/proc/" + std::to_string(pid()) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) * 1024;
  return -1;
}

}  // namespace web_test
