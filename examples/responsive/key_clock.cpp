// key_clock: the watcher thread.
#include "key_clock.hpp"

#include <brigade/io/event_loop.hpp>

#include <poll.h>
#include <unistd.h>
#include <cerrno>
#include <system_error>

namespace responsive {

key_clock::key_clock(int fd) : fd_(fd) {
  if (::pipe(wake_) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  thread_ = std::thread([this] { watch(); });
}

key_clock::~key_clock() {
  stamp_.store(-1);
  stamp_.notify_one();
  const char byte = 0;
  [[maybe_unused]] const auto n = ::write(wake_[1], &byte, 1);
  thread_.join();
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::int64_t key_clock::take(std::int64_t read_ns) {
  const std::int64_t s = stamp_.exchange(0);
  stamp_.notify_one();
  return s > 0 && s < read_ns ? s : read_ns;
}

void key_clock::watch() {
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const std::int64_t now = brigade::event_loop::now_ns();
    std::int64_t expected = 0;
    if (!stamp_.compare_exchange_strong(expected, now)) {
      if (expected == -1) return;
      stamp_.wait(expected);  // an earlier stamp still waits for the loop
      continue;
    }
    // If the loop read those bytes between our poll() and the stamp, the stamp would be
    // charged to the next key: withdraw it when nothing is readable any more.
    pollfd again{fd_, POLLIN, 0};
    if (::poll(&again, 1, 0) == 0) {
      expected = now;
      stamp_.compare_exchange_strong(expected, 0);
      continue;
    }
    stamp_.wait(now);  // until the loop takes it (or -1)
    if (stamp_.load() == -1) return;
  }
}

}  // namespace responsive
