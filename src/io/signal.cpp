// Signals through signalfd.
#include <brigade/io/signal.hpp>

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace brigade {

signal_set::signal_set(event_loop& loop, std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals)
    if (s <= 0 || s >= NSIG || sigaddset(&set, s) < 0)
      throw std::invalid_argument("brigade::signal_set: " + std::to_string(s) +
                                  " is not a signal number");
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  const int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0)
    throw std::system_error(errno, std::system_category(), "brigade::signal_set: signalfd");
  loop_ = &loop;
  fd_ = fd;
}

task<int> signal_set::wait() {
  for (;;) {
    signalfd_siginfo info{};
    const std::size_t n = co_await detail::transfer_awaiter(
        *loop_, detail::io_kind::read, fd_, &info, sizeof info, "brigade::signal_set::wait");
    if (n == sizeof info) co_return static_cast<int>(info.ssi_signo);
  }
}

}  // namespace brigade
