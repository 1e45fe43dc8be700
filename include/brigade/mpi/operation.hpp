// Nonblocking MPI operations as awaitables: `co_await mpi::send(...)` on an event loop or a pool
// worker suspends the coroutine (no thread waits) until the progress agent sees the operation
// complete; `.wait()` blocks plain code. An operation starts when it is created, so work placed
// between creating and waiting overlaps the communication:
//
//   auto halo = mpi::recv(std::span(ghost), up);   // starts now
//   update_interior();                              // runs while the message travels
//   halo.wait();                                    // (or co_await halo)
//
// Element types: arithmetic types travel as MPI's matching type (reductions need one); other
// trivially copyable types travel as bytes. Buffers must stay alive and untouched until the
// operation is done.
#pragma once

#include <brigade/core/detail/resume_context.hpp>
#include <brigade/core/detail/trace_hooks.hpp>
#include <brigade/mpi/context.hpp>
#include <brigade/pool/detail/job.hpp>

#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace brigade::mpi {

/// MPI_ANY_SOURCE and MPI_ANY_TAG, for recv.
inline constexpr int any_source = -1;
inline constexpr int any_tag = -1;

/// What a receive got: who sent it, with which tag, and how many elements.
struct status {
  int source = 0;
  int tag = 0;
  std::size_t count = 0;
};

/// The reductions of allreduce.
enum class reduce_op { sum, prod, min, max };

namespace detail {

/// An element type as MPI sees it; `bytes` for a trivially copyable type that is not
/// arithmetic (sent as sizeof(T) bytes per element).
enum class elem : std::uint8_t { bytes, i8, u8, i16, u16, i32, u32, i64, u64, f32, f64, ld };

template <class T>
constexpr elem elem_of() noexcept {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, float>) {
    return elem::f32;
  } else if constexpr (std::is_same_v<U, double>) {
    return elem::f64;
  } else if constexpr (std::is_same_v<U, long double>) {
    return elem::ld;
  } else if constexpr (std::is_integral_v<U> && !std::is_same_v<U, bool>) {
    if constexpr (sizeof(U) == 1) return std::is_signed_v<U> ? elem::i8 : elem::u8;
    if constexpr (sizeof(U) == 2) return std::is_signed_v<U> ? elem::i16 : elem::u16;
    if constexpr (sizeof(U) == 4) return std::is_signed_v<U> ? elem::i32 : elem::u32;
    if constexpr (sizeof(U) == 8) return std::is_signed_v<U> ? elem::i64 : elem::u64;
  }
  return elem::bytes;
}

enum class op_kind : std::uint8_t {
  send,
  recv,
  allreduce,
  broadcast,
  allgatherv,
  gatherv,
  barrier
};

/// One operation, shared by its `operation` handle and the progress agent (src/mpi). The start
/// description is written before the operation is handed to the agent and read-only after; the
/// completion fields are guarded by mu.
struct op_state {
  // What to start.
  op_kind kind = op_kind::barrier;
  const void* in = nullptr;
  void* out = nullptr;
  std::size_t count = 0;  // elements (of `type`; bytes: element count × elem_size)
  elem type = elem::bytes;
  std::size_t elem_size = 1;
  int peer = 0;  // dest, source or root
  int tag = 0;
  reduce_op op = reduce_op::sum;
  std::vector<int> counts, displs;  // allgatherv / gatherv, in MPI's units

  // Completion.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool cancel_requested = false;  // the handle was dropped before completion (recv: cancel)
  status result;
  // A failure, kept as text and thrown on the thread that waits: an exception_ptr made on the
  // agent thread would be released across threads through libstdc++'s reference count, which
  // the sanitizers cannot see. failed: any failure; argument_error: std::invalid_argument,
  // else mpi::error with error_code.
  bool failed = false;
  bool argument_error = false;
  int error_code = 0;
  std::string error_text;
  std::coroutine_handle<> waiter;
  brigade::detail::resume_context* home = nullptr;  // resume there, else on a pool
  void* pool_home = nullptr;  // the awaiting worker's scheduler (detail::scheduler*), if any
  std::uint64_t trace_wait = 0;

  // The pool job that resumes the waiter when it has no home context. It lives here, so the
  // resumption allocates nothing and cannot fail: the waiter holds the operation, so the state
  // outlives the job until the job resumes it (and touches nothing of itself after that).
  struct resume_job final : brigade::detail::job {
    resume_job() noexcept
        : job([](job& j) noexcept {
            const std::coroutine_handle<> h = static_cast<resume_job&>(j).to_resume;
            h.resume();  // may free the state, and this job with it
          }) {}
    std::coroutine_handle<> to_resume;
  } resumer;
};

/// Hands a described operation to the context (starts it now in multiple mode, through the
/// agent in funneled mode). Errors are stored in the state, never thrown.
void start(const std::shared_ptr<op_state>& s);
/// Resumes h, the coroutine suspended on s (on its home context, its worker's pool, or the
/// global pool, through s.resumer), after s is done. Called by the agent.
void resume_waiter(op_state& s, std::coroutine_handle<> h, brigade::detail::resume_context* home,
                   void* pool_home) noexcept;
/// Registers h to be resumed when s is done: false when it is done already (do not suspend).
bool suspend_on(op_state& s, std::coroutine_handle<> h);
/// Blocks until s is done.
void block_on(op_state& s);
/// Drops the handle of an unfinished operation: withdraws the waiter, cancels a receive, and
/// waits until MPI has let go of the buffer.
void abandon(op_state& s) noexcept;
/// Fills s.counts and s.displs (in MPI's units) from per-rank element counts, checking that
/// there is one per rank, that they sum to `total`, and that s.count is this rank's.
/// std::invalid_argument naming the bad value otherwise.
void set_counts(op_state& s, std::span<const std::size_t> counts, std::size_t total);
/// The label a trace shows while something waits for s ("MPI_Recv from rank 1").
const char* trace_label(const op_state& s) noexcept;

template <class T>
std::shared_ptr<op_state> describe(op_kind k, const void* in, void* out, std::size_t count) {
  static_assert(std::is_trivially_copyable_v<T>, "MPI messages carry trivially copyable types");
  auto s = std::make_shared<op_state>();
  s->kind = k;
  s->in = in;
  s->out = out;
  s->count = count;
  s->type = elem_of<T>();
  s->elem_size = sizeof(T);
  return s;
}

}  // namespace detail

/// A started MPI operation yielding R (void or status). Await it once (`co_await op`) or wait
/// for it (`op.wait()`); an MPI error is thrown there, as mpi::error. Move-only (a moved-from
/// operation may only be destroyed or assigned to). Destroying an unfinished operation cancels a
/// receive and waits for anything else to complete, so a buffer is never written after its owner is
/// gone.
template <class R>
class [[nodiscard]] operation {
 public:
  explicit operation(std::shared_ptr<detail::op_state> s) : s_(std::move(s)) { detail::start(s_); }
  operation(operation&&) noexcept = default;
  operation& operator=(operation&& o) noexcept {
    if (this != &o) {
      drop();
      s_ = std::move(o.s_);
    }
    return *this;
  }
  ~operation() { drop(); }

  /// True once MPI has completed it.
  bool done() const {
    std::lock_guard lock(s_->mu);
    return s_->done;
  }

  /// Blocks the calling thread until done (traced as waiting on communication).
  R wait() {
    detail::block_on(*s_);
    return result();
  }

  bool await_ready() const { return done(); }
  bool await_suspend(std::coroutine_handle<> h) { return detail::suspend_on(*s_, h); }
  R await_resume() {
    if (s_->trace_wait != 0 && brigade::detail::tracing::on())
      brigade::detail::tracing::record(brigade::detail::tracing::kind::comm_wait_end,
                                       s_->trace_wait, 0, nullptr);
    return result();
  }

 private:
  void drop() noexcept {
    if (s_) detail::abandon(*s_);
    s_.reset();
  }
  R result() {
    if (s_->failed) {
      if (s_->argument_error) throw std::invalid_argument(s_->error_text);
      throw error(s_->error_text, s_->error_code);
    }
    if constexpr (!std::is_void_v<R>) return s_->result;
  }
  std::shared_ptr<detail::op_state> s_;
};

/// Sends data to rank dest with tag (MPI_Isend).
template <class T>
operation<void> send(std::span<const T> data, int dest, int tag = 0) {
  auto s = detail::describe<T>(detail::op_kind::send, data.data(), nullptr, data.size());
  s->peer = dest;
  s->tag = tag;
  return operation<void>(std::move(s));
}
template <class T>
operation<void> send(std::span<T> data, int dest, int tag = 0) {
  return send(std::span<const T>(data), dest, tag);
}

/// Receives up to data.size() elements from `source` (any_source) with `tag` (any_tag)
/// (MPI_Irecv). A longer message is an mpi::error (MPI_ERR_TRUNCATE).
template <class T>
operation<status> recv(std::span<T> data, int source = any_source, int tag = any_tag) {
  static_assert(!std::is_const_v<T>, "recv writes into its buffer");
  auto s = detail::describe<T>(detail::op_kind::recv, nullptr, data.data(), data.size());
  s->peer = source;
  s->tag = tag;
  return operation<status>(std::move(s));
}

/// Every rank's data combined element by element with op, left in every rank's data
/// (MPI_Iallreduce in place). T must be arithmetic. MPI chooses the order in which ranks'
/// values are combined: for floating point bit-for-bit results whatever the number of ranks,
/// use distributed_reduce (distributed.hpp).
template <class T>
operation<void> allreduce(std::span<T> data, reduce_op op) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<std::remove_cv_t<T>, bool>,
                "allreduce combines arithmetic types");
  auto s = detail::describe<T>(detail::op_kind::allreduce, nullptr, data.data(), data.size());
  s->op = op;
  return operation<void>(std::move(s));
}

/// root's data copied into every rank's data (MPI_Ibcast). Sizes must agree.
template <class T>
operation<void> broadcast(std::span<T> data, int root) {
  auto s = detail::describe<T>(detail::op_kind::broadcast, nullptr, data.data(), data.size());
  s->peer = root;
  return operation<void>(std::move(s));
}

/// Every rank's `mine` (counts[r] elements from rank r) concatenated in rank order into every
/// rank's `all` (MPI_Iallgatherv). counts has one entry per rank, the same on every rank;
/// all.size() must be their sum.
template <class T>
operation<void> allgather(std::span<const T> mine, std::span<T> all,
                          std::span<const std::size_t> counts) {
  auto s = detail::describe<T>(detail::op_kind::allgatherv, mine.data(), all.data(), mine.size());
  detail::set_counts(*s, counts, all.size());
  return operation<void>(std::move(s));
}

/// Waits until every rank has started a barrier (MPI_Ibarrier).
operation<void> barrier();

}  // namespace brigade::mpi
