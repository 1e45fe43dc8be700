// The io_uring backend: completion-based. Each started operation owns at most one SQE at a
// time, tagged with the address of the op's slot (its state here; the op keeps the slot's index
// in `heap_index`, which only timers use otherwise); the CQE for it is the operation's end (or a
// step of it: a retry after EAGAIN, a write to a non-socket, a connect still in progress). Built
// only with liburing (BRIGADE_HAVE_LIBURING); otherwise, or when the kernel refuses a ring at run
// time, make_uring_reactor() returns nullptr and the loop uses epoll.
//
// Threading: everything here runs on the loop's thread except wake(), which only writes to an
// eventfd. The ring needs no locking: it is one producer (the loop thread, which both fills SQEs
// and reaps CQEs) against the kernel, and liburing does the acquire/release on the ring indices.
// No memory ordering between wake() and the loop is needed either: loop_core's seq_cst
// `waiting_` flag decides whether to wake, and the eventfd counter keeps a wake-up that lands
// before the loop blocks (the persistent read on it then completes at once).
//
// Submission: SQEs are only filled in start()/abort() and handed to the kernel in wait() (or
// earlier when the SQ is full), always from the loop thread: io_uring runs a request's task
// work in the thread that submitted it, so the submitter must be one that keeps entering the
// kernel.
#include "reactor.hpp"

#if BRIGADE_HAVE_LIBURING

#include "loop_core.hpp"

#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace brigade::detail {
namespace {

// user_data values that are not slots: a slot is at least 8-byte aligned and never at address
// 0..7, so these cannot collide with one.
constexpr std::uint64_t wake_tag = 1;    // the eventfd read that wake() completes
constexpr std::uint64_t cancel_tag = 2;  // ASYNC_CANCEL requests (their CQEs are ignored)
constexpr std::uint64_t nop_tag = 3;     // an aborted op's unsubmitted SQE, made a NOP

// read()/write() never move more than this at once (the kernel's MAX_RW_COUNT); clamping the
// 32-bit SQE length to it gives the same short counts as the epoll backend's system calls.
constexpr std::size_t max_rw = 0x7ffff000;

// -ECANCELED or -EINTR on an op we did not abort comes from the kernel, not the user (the
// submitting thread exited, a cancel aimed at an earlier op in the same slot): the op is
// retried, but not forever.
constexpr std::uint8_t max_spurious = 16;

// Where an op is in its life; which SQE its user_data currently stands for.
enum class step : std::uint8_t {
  main,          // the operation itself
  poll_retry,    // POLL_ADD after a CQE said EAGAIN; then the operation again
  connect_poll,  // POLL_ADD POLLOUT after connect said EINPROGRESS; then SO_ERROR
};

// What recvfrom and sendto hand the kernel, which reads it when it issues the request (maybe
// after the SQE's submission returns, from a worker): it must stay put until the CQE.
struct message {
  msghdr msg{};
  iovec iov{};
};

// Per-op state that must outlive the SQE and the few flags that turn one operation into several
// SQEs. Lives in the reactor's slots (48 bytes, at a fixed address while the reactor lives),
// never in the op; its address is the SQE's user_data.
struct op_slot {
  io_op* op = nullptr;  // nullptr: free (then `next_free` links it)
  step at = step::main;
  bool aborted = false;     // abort() ran: end with -ECANCELED instead of retrying
  bool queued = false;      // waiting in backlog_ for an SQE (no SQE refers to the op)
  bool as_write = false;    // write on a non-socket: IORING_OP_WRITE after -ENOTSOCK
  bool connecting = false;  // connect: an earlier attempt was cut short (-EISCONN is success)
  std::uint8_t spurious = 0;
  std::uint32_t index = 0;  // its place among the reactor's slots (what the op keeps)
  union {
    io_uring_sqe* sqe = nullptr;  // in use: the SQE last filled for the op...
    op_slot* next_free;           // free: the next free slot
  };
  std::uint64_t epoch = 0;  // ...and the submit_epoch_ it was filled in
  message* msg = nullptr;   // recvfrom, sendto: the msghdr the kernel reads
};

bool is_writer(io_kind k) noexcept {
  return k == io_kind::write || k == io_kind::connect || k == io_kind::sendto ||
         k == io_kind::pwrite;
}

unsigned clamp_len(std::size_t len) noexcept {
  return static_cast<unsigned>(len < max_rw ? len : max_rw);
}

std::uint64_t tag_of(const op_slot& s) noexcept {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&s));
}

constexpr std::uint32_t no_slot = static_cast<std::uint32_t>(-1);
static_assert(alignof(op_slot) >= 4);

class uring_reactor final : public reactor {
 public:
  explicit uring_reactor(loop_core& core) : core_(core) {}

  ~uring_reactor() override {
    if (!ring_ok_) return;
    quiesce();
    io_uring_queue_exit(&ring_);
    if (wakefd_ < 0) return;
    if (!wake_armed_) {
      // The kernel's reads of the eventfd (through io_uring) are invisible to ThreadSanitizer,
      // so it sees no order between other threads' wake() and our close(). One read of our
      // own (after a write of our own, so it cannot block) supplies the order the kernel
      // gives: every wake() that reached the kernel before it.
      std::uint64_t v = 1;
      if (::write(wakefd_, &v, sizeof v) == sizeof v) {
        [[maybe_unused]] auto r = ::read(wakefd_, &v, sizeof v);
      }
    }
    ::close(wakefd_);
  }

  // Sets up the ring; false when the kernel or the sandbox refuses it (the destructor then
  // releases whatever was set up).
  bool init() noexcept {
    int r = -EINVAL;
    // SUBMIT_ALL (5.18) keeps one bad SQE from holding back the rest; older kernels reject the
    // flag, so try without. A big CQ makes overflow rare; NODROP (required below) makes it
    // harmless. Before 5.12 rings count against RLIMIT_MEMLOCK: try smaller ones on ENOMEM.
    const unsigned sizes[][2] = {{256, 4096}, {64, 512}, {16, 64}};
    for (const auto& sz : sizes) {
      for (unsigned extra : {unsigned{IORING_SETUP_SUBMIT_ALL}, 0u}) {
        io_uring_params p{};
        p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | extra;
        p.cq_entries = sz[1];
        r = io_uring_queue_init_params(sz[0], &ring_, &p);
        if (r != -EINVAL) break;
      }
      if (r != -ENOMEM) break;
    }
    if (r < 0) return false;  // ENOSYS, EPERM (io_uring_disabled, seccomp), ENOMEM...
    ring_ok_ = true;
    // NODROP: a full CQ parks completions in the kernel instead of losing them (5.5).
    // RW_CUR_POS: offset -1 means "the file position", which read/write on pipes need (5.6).
    const unsigned need = IORING_FEAT_NODROP | IORING_FEAT_RW_CUR_POS;
    if ((ring_.features & need) != need || !opcodes_supported()) return false;
    // Blocking on purpose: a non-blocking eventfd whose file lacks FMODE_NOWAIT would make the
    // kernel return EAGAIN to the read instead of waiting; wake() never blocks on it anyway
    // (the counter cannot reach its maximum).
    wakefd_ = ::eventfd(0, EFD_CLOEXEC);
    if (wakefd_ < 0) return false;
    try {
      wake_buf_ = new std::uint64_t(0);
    } catch (...) {
      return false;
    }
    arm_wake();  // submitted by the first wait(), on the loop's thread
    return true;
  }

  const char* name() const noexcept override { return "io_uring"; }

  void start(io_op& op) noexcept override {
    op_slot* s = nullptr;
    try {
      s = &acquire_slot(op);
    } catch (...) {
      return core_.finish(op, -ENOMEM);
    }
    arm(op, *s);
  }

  void abort(io_op& op) noexcept override {
    op_slot* found = slot_of(op);
    if (found == nullptr || found->aborted) return;
    op_slot& s = *found;
    s.aborted = true;
    if (s.queued) {  // no SQE yet: nothing for the kernel to let go of
      drop_from_backlog(s);
      return complete(s, -ECANCELED);
    }
    if (s.epoch == submit_epoch_) {
      // Its SQE has not been submitted since it was filled (the kernel reads SQEs only inside
      // io_uring_enter, on this thread): turn it into a NOP and end the op now, as epoll does.
      io_uring_prep_nop(s.sqe);
      io_uring_sqe_set_data64(s.sqe, nop_tag);
      return complete(s, -ECANCELED);
    }
    // The op's own CQE follows the cancel (with -ECANCELED, or its real result if it won the
    // race); that CQE is what finishes it. The cancel's own CQE is ignored.
    io_uring_sqe* sqe = backlog_.empty() ? next_sqe() : nullptr;
    if (sqe == nullptr) {
      try {
        backlog_.push_back({&s, &op, true});
      } catch (...) {
        // Cannot ask now; the op still ends when its I/O does.
      }
      return;
    }
    prep_cancel(sqe, s);
  }

  void wait(std::int64_t timeout_ns) noexcept override {
    flush_backlog();
    // Work still parked for want of an SQE is not in the kernel, so no CQE would announce that
    // it can go in: look again soon instead of sleeping for long.
    constexpr std::int64_t backlog_retry_ns = 1'000'000;
    if (!backlog_.empty() && (timeout_ns < 0 || timeout_ns > backlog_retry_ns))
      timeout_ns = backlog_retry_ns;
    if (timeout_ns == 0 || io_uring_cq_ready(&ring_) != 0) {
      submit_pending();
    } else {
      io_uring_cqe* cqe = nullptr;
      ++submit_epoch_;
      if (timeout_ns < 0) {
        io_uring_submit_and_wait(&ring_, 1);
      } else {
        __kernel_timespec ts{};
        ts.tv_sec = timeout_ns / 1'000'000'000;
        ts.tv_nsec = timeout_ns % 1'000'000'000;
        io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
      }
      // -EINTR, -ETIME and -EBUSY all mean "reap what is there"; SQEs the kernel did not take
      // (an error stopped the batch) are retried at once.
      if (io_uring_sq_ready(&ring_) != 0) submit_pending();
    }
    reap();
  }

  void wake() noexcept override {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wakefd_, &one, sizeof one);
  }

  // io_uring keeps no per-descriptor registration: each SQE names its fd.
  void forget_fd(int) noexcept override {}

  // Leaves out ops already aborted and waiting for the kernel's word: abort() has nothing more
  // to do for them, and the epoll backend never lists such ops either (its abort() ends them at
  // once). loop_core::drain() relies on this: while it has victims it only polls (wait(0)),
  // and a cancellation the kernel finishes a little later (from a worker, or for requests whose
  // submitting thread has exited) needs a wait() that can block.
  std::vector<io_op*> pending() const override {
    std::vector<io_op*> out;
    for (const auto& chunk : chunks_)
      for (std::size_t i = 0; i < chunk_slots; ++i)
        if (chunk[i].op != nullptr && !chunk[i].aborted) out.push_back(chunk[i].op);
    return out;
  }

 private:
  struct backlog_entry {
    op_slot* slot;  // nullptr: the wake-up read
    io_op* op;      // the op the slot held when the entry was made (it may have ended since)
    bool cancel;    // an ASYNC_CANCEL for op rather than op itself
  };
  static constexpr std::size_t chunk_slots = 256;

  bool opcodes_supported() noexcept {
    io_uring_probe* p = io_uring_get_probe_ring(&ring_);
    if (p == nullptr) return false;  // no IORING_REGISTER_PROBE: older than 5.6
    bool ok = true;
    for (int opc : {IORING_OP_READ, IORING_OP_WRITE, IORING_OP_SEND, IORING_OP_ACCEPT,
                    IORING_OP_CONNECT, IORING_OP_RECVMSG, IORING_OP_SENDMSG, IORING_OP_POLL_ADD,
                    IORING_OP_ASYNC_CANCEL, IORING_OP_NOP})
      ok = ok && io_uring_opcode_supported(p, opc) != 0;
    io_uring_free_probe(p);
    return ok;
  }

  // A free slot for op (recvfrom and sendto with their message): recycled ones first, so the
  // steady state of a busy loop allocates nothing per operation. Throws std::bad_alloc.
  op_slot& acquire_slot(io_op& op) {
    if (free_ == nullptr) add_chunk();
    message* msg = nullptr;
    if (op.kind == io_kind::recvfrom || op.kind == io_kind::sendto) msg = take_message();
    op_slot& s = *free_;
    free_ = s.next_free;
    const std::uint32_t index = s.index;
    s = op_slot{};
    s.index = index;
    s.op = &op;
    s.msg = msg;
    op.heap_index = index;
    return s;
  }

  void add_chunk() {
    if (chunks_.size() >= (std::size_t{no_slot} / chunk_slots)) throw std::bad_alloc();
    chunks_.reserve(chunks_.size() + 1);  // the push below cannot throw after the allocation
    std::unique_ptr<op_slot[]> chunk(new op_slot[chunk_slots]);
    for (std::size_t i = chunk_slots; i-- > 0;) {
      chunk[i].index = static_cast<std::uint32_t>(chunks_.size() * chunk_slots + i);
      chunk[i].next_free = free_;
      free_ = &chunk[i];
    }
    chunks_.push_back(std::move(chunk));
  }

  message* take_message() {
    if (spare_messages_.empty()) return new message;
    message* m = spare_messages_.back().release();
    spare_messages_.pop_back();
    return m;
  }

  // op's slot while it is started and unfinished here, else nullptr.
  op_slot* slot_of(const io_op& op) noexcept {
    const std::uint32_t i = op.heap_index;
    if (i == no_slot || i / chunk_slots >= chunks_.size()) return nullptr;
    op_slot& s = chunks_[i / chunk_slots][i % chunk_slots];
    return s.op == &op ? &s : nullptr;
  }

  void release_slot(op_slot& s) noexcept {
    s.op->heap_index = no_slot;
    if (s.msg != nullptr) {
      // Kept for the next datagram op (as many as are in flight at most); dropped if the spare
      // list cannot grow.
      try {
        spare_messages_.emplace_back(s.msg);
      } catch (...) {
        delete s.msg;
      }
    }
    s.op = nullptr;
    s.msg = nullptr;
    s.next_free = free_;
    free_ = &s;
  }

  // Ends the slot's op: nothing here refers to it afterwards (the slot is recycled first).
  void complete(op_slot& s, std::int64_t result) noexcept {
    io_op& op = *s.op;
    op.in_kernel = false;
    release_slot(s);
    core_.finish(op, result);
  }

  // The next free SQE, submitting what is queued when the SQ is full; nullptr if the kernel
  // would not take any (then the caller parks its work in backlog_).
  io_uring_sqe* next_sqe() noexcept {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      ++submit_epoch_;
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  void submit_pending() noexcept {
    // Without SUBMIT_ALL the kernel stops a batch at an SQE that fails to start; go on past it.
    for (int round = 0; round < 8 && io_uring_sq_ready(&ring_) != 0; ++round) {
      ++submit_epoch_;
      if (io_uring_submit(&ring_) <= 0) break;
    }
  }

  // Gives op's current step an SQE, or queues it behind earlier ones still waiting for an SQE
  // (so operations reach the kernel in the order they were started).
  void arm(io_op& op, op_slot& s) noexcept {
    io_uring_sqe* sqe = backlog_.empty() ? next_sqe() : nullptr;
    if (sqe != nullptr) return prep(sqe, op, s);
    try {
      backlog_.push_back({&s, &op, false});
    } catch (...) {
      return complete(s, -ENOMEM);
    }
    s.queued = true;
    op.in_kernel = false;
  }

  void prep(io_uring_sqe* sqe, io_op& any, op_slot& s) noexcept {
    if (s.at != step::main) {
      const unsigned mask = s.at == step::connect_poll || is_writer(any.kind) ? POLLOUT : POLLIN;
      io_uring_prep_poll_add(sqe, any.fd, mask);
    } else if (any.kind == io_kind::poll_in) {  // a bare io_op
      io_uring_prep_poll_add(sqe, any.fd, POLLIN);
    } else {
      fd_op& op = as_fd_op(any);
      switch (op.kind) {
        case io_kind::read:
          // READ at offset -1 works on sockets, pipes, eventfds and signalfds alike, like read().
          io_uring_prep_read(sqe, op.fd, op.buf, clamp_len(op.len), static_cast<__u64>(-1));
          break;
        case io_kind::write:
          if (s.as_write) {
            io_uring_prep_write(sqe, op.fd, op.buf, clamp_len(op.len), static_cast<__u64>(-1));
          } else {
            io_uring_prep_send(sqe, op.fd, op.buf, clamp_len(op.len), MSG_NOSIGNAL);
          }
          break;
        case io_kind::accept:
          io_uring_prep_accept(sqe, op.fd, static_cast<sockaddr*>(op.addr),
                               reinterpret_cast<socklen_t*>(op.addrlen),
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
          break;
        case io_kind::connect:
          io_uring_prep_connect(sqe, op.fd, static_cast<const sockaddr*>(op.addr),
                                static_cast<socklen_t>(*op.addrlen));
          break;
        case io_kind::recvfrom:
        case io_kind::sendto: {
          // The kernel reads the msghdr when it issues the request, which may be after this
          // call returns (a punt to a worker): it lives beside the slot until the CQE.
          message& m = *s.msg;
          m.iov.iov_base = op.buf;
          m.iov.iov_len = op.len;
          m.msg = msghdr{};
          m.msg.msg_iov = &m.iov;
          m.msg.msg_iovlen = 1;
          if (op.addr != nullptr && op.addrlen != nullptr) {
            m.msg.msg_name = op.addr;
            m.msg.msg_namelen = static_cast<socklen_t>(*op.addrlen);
          }
          if (op.kind == io_kind::recvfrom) {
            io_uring_prep_recvmsg(sqe, op.fd, &m.msg, 0);
          } else {
            io_uring_prep_sendmsg(sqe, op.fd, &m.msg, MSG_NOSIGNAL);
          }
          break;
        }
        case io_kind::pread:
          io_uring_prep_read(sqe, op.fd, op.buf, clamp_len(op.len), op.offset);
          break;
        case io_kind::pwrite:
          io_uring_prep_write(sqe, op.fd, op.buf, clamp_len(op.len), op.offset);
          break;
        case io_kind::poll_in:  // above
        case io_kind::timer:    // never started here
          break;
      }
    }
    io_uring_sqe_set_data64(sqe, tag_of(s));
    s.sqe = sqe;
    s.epoch = submit_epoch_;
    any.in_kernel = true;
  }

  void prep_cancel(io_uring_sqe* sqe, const op_slot& s) noexcept {
    io_uring_prep_cancel64(sqe, tag_of(s), 0);
    io_uring_sqe_set_data64(sqe, cancel_tag);
  }

  // The wake-up read stays armed for the reactor's whole life; wake() completes it.
  void arm_wake() noexcept {
    io_uring_sqe* sqe = backlog_.empty() ? next_sqe() : nullptr;
    if (sqe == nullptr) {
      try {
        backlog_.push_back({nullptr, nullptr, false});
      } catch (...) {
        // Re-armed by the next wait() that finds it missing.
        return;
      }
      wake_armed_ = true;
      return;
    }
    io_uring_prep_read(sqe, wakefd_, wake_buf_, sizeof *wake_buf_, static_cast<__u64>(-1));
    io_uring_sqe_set_data64(sqe, wake_tag);
    wake_armed_ = true;
  }

  void drop_from_backlog(const op_slot& s) noexcept {
    for (auto it = backlog_.begin(); it != backlog_.end(); ++it) {
      if (it->slot == &s && it->op == s.op && !it->cancel) {
        backlog_.erase(it);
        return;
      }
    }
  }

  void flush_backlog() noexcept {
    if (!wake_armed_ && !closing_) arm_wake();
    while (!backlog_.empty()) {
      const backlog_entry e = backlog_.front();
      // A cancel whose op has ended (its slot free, or holding a new op, maybe even at the same
      // address, which then is not aborted) has nothing to do. The op itself is not read: it may
      // be gone.
      if (e.slot != nullptr &&
          (e.slot->op != e.op || e.op == nullptr || (e.cancel && !e.slot->aborted))) {
        backlog_.pop_front();
        continue;
      }
      io_uring_sqe* sqe = next_sqe();
      if (sqe == nullptr) return;
      backlog_.pop_front();
      if (e.slot == nullptr) {
        io_uring_prep_read(sqe, wakefd_, wake_buf_, sizeof *wake_buf_, static_cast<__u64>(-1));
        io_uring_sqe_set_data64(sqe, wake_tag);
      } else if (e.cancel) {
        prep_cancel(sqe, *e.slot);
      } else {
        e.slot->queued = false;
        prep(sqe, *e.op, *e.slot);
      }
    }
  }

  // Takes every available CQE (liburing flushes a CQ overflow held by the kernel when the ring
  // is empty). Bounded so that a storm of instant completions cannot keep the loop from its
  // timers and posted work; the rest is taken by the next wait(), which will not block.
  void reap() noexcept {
    constexpr unsigned batch = 64;
    std::size_t budget = 4 * ring_.cq.ring_entries;
    while (budget > 0) {
      io_uring_cqe* cqes[batch];
      const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, batch);
      if (n == 0) break;
      // Copy out, then release the CQ slots before handling: handling may submit, and the
      // kernel can then post into the freed slots.
      std::uint64_t data[batch];
      std::int32_t res[batch];
      for (unsigned i = 0; i < n; ++i) {
        data[i] = cqes[i]->user_data;
        res[i] = cqes[i]->res;
      }
      io_uring_cq_advance(&ring_, n);
      for (unsigned i = 0; i < n; ++i) handle(data[i], res[i]);
      budget -= n < budget ? n : budget;
    }
  }

  void handle(std::uint64_t data, std::int32_t res) noexcept {
    if (data == wake_tag) {
      wake_armed_ = false;
      if (!closing_) arm_wake();
      return;
    }
    // Cancels, fillers, and liburing's own timeout SQE (used for timed waits on kernels
    // without IORING_FEAT_EXT_ARG).
    if (data == cancel_tag || data == nop_tag || data == LIBURING_UDATA_TIMEOUT) return;
    op_slot& s = *reinterpret_cast<op_slot*>(static_cast<std::uintptr_t>(data));
    if (s.op == nullptr) return;  // cannot happen: one SQE per op, and it ends the op
    io_op& op = *s.op;
    op.in_kernel = false;

    if (s.aborted) {
      // Whatever did not transfer anything reads as a cancellation; real results (bytes, an
      // accepted fd, a finished connect, a hard error) are kept, as loop_core wants.
      const bool nothing = s.at != step::main || res == -ECANCELED || res == -EINTR ||
                           res == -EAGAIN || res == -EINPROGRESS || res == -EALREADY ||
                           (op.kind == io_kind::write && res == -ENOTSOCK && !s.as_write);
      return complete(s, nothing ? -ECANCELED : settle(op, s, res));
    }
    if (res == -ECANCELED || res == -EINTR) {
      if (++s.spurious > max_spurious) return complete(s, res);  // see max_spurious
      // A connect interrupted this way may have started the handshake: see settle().
      if (op.kind == io_kind::connect && s.at == step::main) s.connecting = true;
      return arm(op, s);
    }
    switch (s.at) {
      case step::poll_retry:
        if (res < 0) return complete(s, res);
        s.at = step::main;
        return arm(op, s);
      case step::connect_poll: {
        if (res < 0) return complete(s, res);
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(op.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        return complete(s, -static_cast<std::int64_t>(err));
      }
      case step::main:
        break;
    }
    // The kernel normally waits for readiness itself; a file that cannot be polled internally
    // (or an old kernel) hands EAGAIN back: wait with POLL_ADD, then try again.
    if (res == -EAGAIN && op.kind != io_kind::poll_in) {
      s.at = step::poll_retry;
      return arm(op, s);
    }
    if (op.kind == io_kind::write && res == -ENOTSOCK && !s.as_write) {
      s.as_write = true;  // a pipe or a file: write() it, as the epoll backend does
      return arm(op, s);
    }
    if (op.kind == io_kind::connect && (res == -EINPROGRESS || res == -EALREADY)) {
      s.at = step::connect_poll;
      return arm(op, s);
    }
    complete(s, settle(op, s, res));
  }

  // The user-visible result of a final CQE for op (same shape as the epoll backend's).
  static std::int64_t settle(io_op& op, op_slot& s, std::int32_t res) noexcept {
    switch (op.kind) {
      case io_kind::poll_in:
        return res >= 0 ? 0 : res;  // a poll mask means "readable (or hung up)"
      case io_kind::recvfrom:
        if (std::uint32_t* len = as_fd_op(op).addrlen;
            res >= 0 && len != nullptr && s.msg->msg.msg_name != nullptr)
          *len = s.msg->msg.msg_namelen;
        return res;
      case io_kind::connect:
        // A retried connect finds the first attempt's connection made.
        return res == -EISCONN && s.connecting ? 0 : res;
      default:
        return res;
    }
  }

  // Before the ring goes: ask the kernel to drop what still refers to our memory (the wake-up
  // buffer, ops drain() could not end) and wait a bounded time for it to say so. The ring's
  // own teardown would cancel them too, but asynchronously, after we have freed the memory.
  void quiesce() noexcept {
    closing_ = true;
    for (const backlog_entry& e : backlog_)
      if (e.slot == nullptr && !e.cancel) wake_armed_ = false;  // never reached the kernel
    backlog_.clear();
    std::size_t outstanding = 0;
    if (wake_armed_ && wake_buf_ != nullptr) {
      if (io_uring_sqe* sqe = next_sqe()) {
        io_uring_prep_cancel64(sqe, wake_tag, 0);
        io_uring_sqe_set_data64(sqe, cancel_tag);
      }
      ++outstanding;
    }
    for (const auto& chunk : chunks_) {
      for (std::size_t i = 0; i < chunk_slots; ++i) {
        const op_slot& s = chunk[i];
        if (s.op == nullptr || s.queued) continue;
        if (io_uring_sqe* sqe = next_sqe()) prep_cancel(sqe, s);
        ++outstanding;
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (outstanding > 0 && std::chrono::steady_clock::now() < deadline) {
      submit_pending();
      ++submit_epoch_;
      io_uring_cqe* cqe = nullptr;
      __kernel_timespec ts{0, 50'000'000};
      io_uring_wait_cqe_timeout(&ring_, &cqe, &ts);
      io_uring_cqe* cqes[64];
      const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, 64);
      for (unsigned i = 0; i < n; ++i) {
        const std::uint64_t d = cqes[i]->user_data;
        if (d == wake_tag) {
          wake_armed_ = false;
          --outstanding;
        } else if (d > nop_tag && d != LIBURING_UDATA_TIMEOUT) {
          op_slot& s = *reinterpret_cast<op_slot*>(static_cast<std::uintptr_t>(d));
          if (s.op != nullptr) {
            s.op->in_kernel = false;
            release_slot(s);
            --outstanding;
          }
        }
      }
      io_uring_cq_advance(&ring_, n);
    }
    // Still armed after the wait: the kernel may yet write the buffer, so it is left behind.
    if (!wake_armed_) delete wake_buf_;
    wake_buf_ = nullptr;
  }

  loop_core& core_;
  io_uring ring_{};
  bool ring_ok_ = false;
  bool closing_ = false;
  bool wake_armed_ = false;  // the eventfd read is in the kernel (or waiting in backlog_)
  int wakefd_ = -1;
  std::uint64_t* wake_buf_ = nullptr;  // heap: may have to outlive the reactor (see quiesce)
  // Bumped before every call that may let the kernel consume SQEs: an SQE filled in the
  // current epoch is still ours to rewrite.
  std::uint64_t submit_epoch_ = 1;
  // Every started, unfinished op has a slot here; slots stay where they are (256 to a chunk)
  // until the reactor goes.
  std::vector<std::unique_ptr<op_slot[]>> chunks_;
  op_slot* free_ = nullptr;
  std::vector<std::unique_ptr<message>> spare_messages_;
  std::deque<backlog_entry> backlog_;  // work that found the SQ full and the kernel not taking
};

}  // namespace

std::unique_ptr<reactor> make_uring_reactor(loop_core& core) {
  auto r = std::make_unique<uring_reactor>(core);
  if (!r->init()) return nullptr;
  return r;
}

}  // namespace brigade::detail

#else  // !BRIGADE_HAVE_LIBURING

namespace brigade::detail {

// Built without liburing: io_uring is never available, so loops use epoll.
std::unique_ptr<reactor> make_uring_reactor(loop_core&) {
  return nullptr;
}

}  // namespace brigade::detail

#endif
