// The epoll backend: readiness-based. An operation first tries its system call; on EAGAIN it
// waits in its descriptor's reader or writer queue (edge-triggered registration, made once per
// descriptor) and is retried when epoll reports the descriptor ready. Regular files are never
// "ready" for epoll, so pread/pwrite run on the global pool and post their completion back.
#include "intrusive_fifo.hpp"
#include "loop_core.hpp"
#include "reactor.hpp"

#include <brigade/pool/pool.hpp>
#include <brigade/pool/task_group.hpp>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <optional>
#include <system_error>
#include <vector>

namespace brigade::detail {
namespace {

using op_queue = intrusive_fifo<io_op, &io_op::next>;

struct fd_entry {
  bool registered = false;
  // A read-side event arrived while no reader waited: the edge is spent, so a poll_in that
  // says `drained` must look (poll) before it waits. Cleared by the next look on the read side.
  bool read_event_unclaimed = false;
  op_queue readers;  // read, accept, recvfrom, poll_in
  op_queue writers;  // write, connect, sendto
};

bool is_writer(io_kind k) noexcept {
  return k == io_kind::write || k == io_kind::connect || k == io_kind::sendto;
}

std::int64_t neg_errno() noexcept {
  return -static_cast<std::int64_t>(errno);
}

// poll_in's attempt: 0 when fd is readable (after_ready: epoll just said so), else -EAGAIN.
std::int64_t readable_now(int fd, bool after_ready) noexcept {
  if (after_ready) return 0;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, 0);
    if (n > 0) return 0;
    if (n == 0) return -EAGAIN;
    if (errno != EINTR) return neg_errno();
  }
}

// One non-blocking attempt; -EAGAIN means "wait for readiness".
std::int64_t attempt(io_op& any, bool after_ready) noexcept {
  if (any.kind == io_kind::poll_in) return readable_now(any.fd, after_ready);
  fd_op& op = as_fd_op(any);
  for (;;) {
    ssize_t n = 0;
    switch (op.kind) {
      case io_kind::read:
        n = ::read(op.fd, op.buf, op.len);
        break;
      case io_kind::write:
        n = ::send(op.fd, op.buf, op.len, MSG_NOSIGNAL);
        if (n < 0 && errno == ENOTSOCK) n = ::write(op.fd, op.buf, op.len);
        break;
      case io_kind::accept: {
        auto* len = reinterpret_cast<socklen_t*>(op.addrlen);
        n = ::accept4(op.fd, static_cast<sockaddr*>(op.addr), len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        break;
      }
      case io_kind::recvfrom: {
        auto* len = reinterpret_cast<socklen_t*>(op.addrlen);
        n = ::recvfrom(op.fd, op.buf, op.len, 0, static_cast<sockaddr*>(op.addr), len);
        break;
      }
      case io_kind::sendto:
        n = ::sendto(op.fd, op.buf, op.len, MSG_NOSIGNAL, static_cast<const sockaddr*>(op.addr),
                     static_cast<socklen_t>(*op.addrlen));
        break;
      case io_kind::connect: {
        if (!after_ready) {
          n = ::connect(op.fd, static_cast<const sockaddr*>(op.addr),
                        static_cast<socklen_t>(*op.addrlen));
          if (n < 0 && errno == EINPROGRESS) return -EAGAIN;
          break;
        }
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(op.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return neg_errno();
        return err == 0 ? 0 : -static_cast<std::int64_t>(err);
      }
      default:
        return -EINVAL;
    }
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return -EAGAIN;
    return neg_errno();
  }
}

class epoll_reactor final : public reactor {
 public:
  explicit epoll_reactor(loop_core& core) : core_(core) {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wakefd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd_ < 0 || wakefd_ < 0)
      throw std::system_error(errno, std::generic_category(), "brigade::event_loop: epoll setup");
    epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered: drained on every wake-up
    ev.data.fd = wakefd_;
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
  }
  ~epoll_reactor() override {
    ::close(wakefd_);
    ::close(epfd_);
  }

  const char* name() const noexcept override { return "epoll"; }

  void start(io_op& op) noexcept override {
    if (op.kind == io_kind::pread || op.kind == io_kind::pwrite) return start_file(as_fd_op(op));
    fd_entry& e = entry(op.fd);
    op_queue& q = is_writer(op.kind) ? e.writers : e.readers;
    // The caller emptied fd (a short read) and no readiness has come since: with edge
    // triggering, new data brings a new event, so waiting without a poll loses nothing.
    const bool known_empty =
        op.kind == io_kind::poll_in && op.drained && e.registered && !e.read_event_unclaimed;
    if (q.empty() && !known_empty) {  // behind others, wait our turn: keeps the order
      const std::int64_t r = attempt(op, false);
      // A look on the read side: nothing there, or this op takes what the event announced
      // (a poll_in's caller reads next, and its own read says whether it emptied fd).
      if (&q == &e.readers) e.read_event_unclaimed = false;
      if (r != -EAGAIN) return core_.finish(op, r);
    }
    if (!e.registered) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.fd = op.fd;
      if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, op.fd, &ev) < 0) return core_.finish(op, neg_errno());
      e.registered = true;
    }
    q.push(op);
  }

  void abort(io_op& op) noexcept override {
    if (op.kind == io_kind::pread || op.kind == io_kind::pwrite) return;  // finishes on its own
    fd_entry& e = entry(op.fd);
    if (e.readers.remove(op) || e.writers.remove(op)) core_.finish(op, -ECANCELED);
  }

  void wait(std::int64_t timeout_ns) noexcept override {
    epoll_event events[256];
    int n;
    if (timeout_ns < 0) {
      n = ::epoll_wait(epfd_, events, 256, -1);
    } else {
      timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000),
                  static_cast<long>(timeout_ns % 1'000'000'000)};
      n = ::epoll_pwait2(epfd_, events, 256, &ts, nullptr);
      if (n < 0 && errno == ENOSYS) {  // kernels before 5.11: millisecond resolution, rounded up
        // At most INT_MAX ms (24 days): a later deadline is looked at again then.
        const std::int64_t capped = std::min<std::int64_t>(timeout_ns, INT_MAX * 1'000'000LL);
        n = ::epoll_wait(epfd_, events, 256, static_cast<int>((capped + 999'999) / 1'000'000));
      }
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wakefd_) {
        std::uint64_t v;
        while (::read(wakefd_, &v, sizeof v) > 0) {
        }
        continue;
      }
      const std::uint32_t ev = events[i].events;
      fd_entry& e = entry(fd);
      if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) != 0) {
        if (e.readers.empty()) e.read_event_unclaimed = true;
        drain_queue(e.readers);
      }
      if ((ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) drain_queue(e.writers);
    }
  }

  void wake() noexcept override {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wakefd_, &one, sizeof one);
  }

  void forget_fd(int fd) noexcept override {
    if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
    fd_entry& e = fds_[static_cast<std::size_t>(fd)];
    if (e.registered) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    e = fd_entry{};
  }

  std::vector<io_op*> pending() const override {
    std::vector<io_op*> out;
    for (const fd_entry& e : fds_) {
      for (io_op* p = e.readers.front(); p != nullptr; p = p->next) out.push_back(p);
      for (io_op* p = e.writers.front(); p != nullptr; p = p->next) out.push_back(p);
    }
    return out;
  }

 private:
  fd_entry& entry(int fd) {
    const auto i = static_cast<std::size_t>(fd);
    if (i >= fds_.size()) fds_.resize(i + 64);
    return fds_[i];
  }

  void drain_queue(op_queue& q) noexcept {
    while (!q.empty()) {
      io_op& op = *q.front();
      const std::int64_t r = attempt(op, true);
      if (r == -EAGAIN) break;
      q.pop();
      core_.finish(op, r);
    }
  }

  static std::int64_t file_transfer(fd_op& op) noexcept {
    ssize_t n;
    do {
      n = op.kind == io_kind::pread
              ? ::pread(op.fd, op.buf, op.len, static_cast<off_t>(op.offset))
              : ::pwrite(op.fd, op.buf, op.len, static_cast<off_t>(op.offset));
    } while (n < 0 && errno == EINTR);
    return n >= 0 ? n : neg_errno();
  }

  // Regular files: epoll cannot wait for them, so the blocking call runs on the loop's pool
  // (its runtime's, else the process's) and posts the completion back. A single-threaded
  // loop has no pool: the call runs right here (regular files rarely make it wait long).
  void start_file(fd_op& op) noexcept {
    event_loop& loop = core_.owner();
    if (loop_access::single_threaded(loop)) {
      core_.finish(op, file_transfer(op));
      return;
    }
    try {
      if (!files_)  // only loops that touch files start a pool
        files_.emplace(loop_access::attached_pool(loop) != nullptr
                           ? *loop_access::attached_pool(loop)
                           : pool::global());
      files_->run([&op] {
        op.result = file_transfer(op);
        loop_access::core(*op.loop).post_op(op);  // finishes it there; publishes op.result
      });
    } catch (...) {
      core_.finish(op, -ENOMEM);
    }
  }

  loop_core& core_;
  int epfd_ = -1;
  int wakefd_ = -1;
  std::vector<fd_entry> fds_;
  std::optional<task_group> files_;
};

}  // namespace

std::unique_ptr<reactor> make_epoll_reactor(loop_core& core) {
  return std::make_unique<epoll_reactor>(core);
}

}  // namespace brigade::detail
