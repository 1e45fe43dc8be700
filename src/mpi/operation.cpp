// Starting MPI calls, completing operations and resuming what waits for them.
#include "agent.hpp"

#include <brigade/pool/detail/job.hpp>
#include <brigade/pool/detail/scheduler.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/trace/trace.hpp>

#include <climits>
#include <stdexcept>
#include <string>

namespace brigade::mpi::detail {
MPI_Datatype datatype_of(elem e) noexcept {
  switch (e) {
    case elem::i8:
      return MPI_INT8_T;
    case elem::u8:
      return MPI_UINT8_T;
    case elem::i16:
      return MPI_INT16_T;
    case elem::u16:
      return MPI_UINT16_T;
    case elem::i32:
      return MPI_INT32_T;
    case elem::u32:
      return MPI_UINT32_T;
    case elem::i64:
      return MPI_INT64_T;
    case elem::u64:
      return MPI_UINT64_T;
    case elem::f32:
      return MPI_FLOAT;
    case elem::f64:
      return MPI_DOUBLE;
    case elem::ld:
      return MPI_LONG_DOUBLE;
    case elem::bytes:
      break;
  }
  return MPI_BYTE;
}

namespace {

MPI_Op op_of(reduce_op op) noexcept {
  switch (op) {
    case reduce_op::sum:
      return MPI_SUM;
    case reduce_op::prod:
      return MPI_PROD;
    case reduce_op::min:
      return MPI_MIN;
    case reduce_op::max:
      return MPI_MAX;
  }
  return MPI_SUM;
}

// Elements of s's type in MPI's units (bytes for a non-arithmetic type).
std::size_t units(const op_state& s, std::size_t elements) noexcept {
  return s.type == elem::bytes ? elements * s.elem_size : elements;
}

const char* call_name(op_kind k) noexcept {
  switch (k) {
    case op_kind::send:
      return "MPI_Isend";
    case op_kind::recv:
      return "MPI_Irecv";
    case op_kind::allreduce:
      return "MPI_Iallreduce";
    case op_kind::broadcast:
      return "MPI_Ibcast";
    case op_kind::allgatherv:
      return "MPI_Iallgatherv";
    case op_kind::gatherv:
      return "MPI_Igatherv";
    case op_kind::barrier:
      return "MPI_Ibarrier";
  }
  return "MPI";
}

}  // namespace

std::string error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(length));
}

void fail(op_state& s, const char* call, int code) {
  const error e = make_error(call, code);
  s.failed = true;
  s.error_code = e.code();
  s.error_text = e.what();
}

error make_error(const char* call, int code) {
  int cls = code;
  if (MPI_Error_class(code, &cls) != MPI_SUCCESS) cls = code;
  return error(std::string(call) + ": " + error_text(code), cls);
}

int start_call(op_state& s, MPI_Comm comm, MPI_Request& request, const char*& call) {
  call = call_name(s.kind);
  const std::size_t n = units(s, s.count);
  if (n > static_cast<std::size_t>(INT_MAX)) {
    s.failed = true;
    s.argument_error = true;
    s.error_text = std::string(call) + ": " + std::to_string(s.count) + " elements (" +
                   std::to_string(n) + " in MPI's units) is more than one MPI call carries (" +
                   std::to_string(INT_MAX) + ")";
    return -1;
  }
  const int count = static_cast<int>(n);
  const MPI_Datatype t = datatype_of(s.type);
  switch (s.kind) {
    case op_kind::send:
      return MPI_Isend(s.in, count, t, s.peer, s.tag, comm, &request);
    case op_kind::recv:
      return MPI_Irecv(s.out, count, t, s.peer == any_source ? MPI_ANY_SOURCE : s.peer,
                       s.tag == any_tag ? MPI_ANY_TAG : s.tag, comm, &request);
    case op_kind::allreduce:
      return MPI_Iallreduce(MPI_IN_PLACE, s.out, count, t, op_of(s.op), comm, &request);
    case op_kind::broadcast:
      return MPI_Ibcast(s.out, count, t, s.peer, comm, &request);
    case op_kind::allgatherv:
      return MPI_Iallgatherv(s.in, count, t, s.out, s.counts.data(), s.displs.data(), t, comm,
                             &request);
    case op_kind::gatherv:
      return MPI_Igatherv(s.in, count, t, s.out, s.counts.data(), s.displs.data(), t, s.peer, comm,
                          &request);
    case op_kind::barrier:
      return MPI_Ibarrier(comm, &request);
  }
  return MPI_ERR_OTHER;
}

void finish(op_state& s) noexcept {
  std::coroutine_handle<> h;
  brigade::detail::resume_context* home = nullptr;
  void* pool_home = nullptr;
  {
    std::lock_guard lock(s.mu);
    s.done = true;
    h = std::exchange(s.waiter, {});
    home = s.home;
    pool_home = s.pool_home;
    s.cv.notify_all();
  }
  if (h) resume_waiter(s, h, home, pool_home);
}

void resume_waiter(op_state& s, std::coroutine_handle<> h, brigade::detail::resume_context* home,
                   void* pool_home) noexcept {
  if (home != nullptr) {
    home->resume_later(h);
    return;
  }
  auto* sched = static_cast<brigade::detail::scheduler*>(pool_home);
  if (sched == nullptr) sched = &brigade::detail::pool_access::of(brigade::pool::global());
  s.resumer.to_resume = h;
  sched->inject(&s.resumer);  // intrusive: no allocation
}

bool suspend_on(op_state& s, std::coroutine_handle<> h) {
  brigade::detail::resume_context* home = brigade::detail::current_resume_context();
  void* pool_home = nullptr;
  if (home == nullptr && brigade::detail::current_worker() != nullptr)
    pool_home = &brigade::detail::ambient_scheduler();
  std::lock_guard lock(s.mu);
  if (s.done) return false;
  if (brigade::detail::tracing::on()) {
    s.trace_wait = brigade::detail::tracing::new_segment_id();
    brigade::detail::tracing::record(brigade::detail::tracing::kind::comm_wait_begin, s.trace_wait,
                                     0, trace_label(s));
  }
  s.waiter = h;
  s.home = home;
  s.pool_home = pool_home;
  return true;
}

void block_on(op_state& s) {
  namespace tracing = brigade::detail::tracing;
  {
    std::lock_guard lock(s.mu);
    if (s.done) return;
  }
  std::uint64_t before = 0, id = 0;
  if (tracing::on()) {
    before = tracing::end_segment();  // waiting is not work
    id = tracing::new_segment_id();
    tracing::record(tracing::kind::comm_wait_begin, id, 0, trace_label(s));
  }
  {
    std::unique_lock lock(s.mu);
    s.cv.wait(lock, [&] { return s.done; });
  }
  if (id != 0) {
    tracing::record(tracing::kind::comm_wait_end, id, 0, nullptr);
    if (before != 0) tracing::begin_segment(nullptr, before);
  }
}

const char* trace_label(const op_state& s) noexcept {
  switch (s.kind) {
    case op_kind::send:
      return brigade::detail::tracing::intern_label(
          ("MPI_Send to rank " + std::to_string(s.peer)).c_str());
    case op_kind::recv:
      return s.peer == any_source ? "MPI_Recv from any rank"
                                  : brigade::detail::tracing::intern_label(
                                        ("MPI_Recv from rank " + std::to_string(s.peer)).c_str());
    case op_kind::allreduce:
      return "MPI_Allreduce";
    case op_kind::broadcast:
      return "MPI_Bcast";
    case op_kind::allgatherv:
      return "MPI_Allgatherv";
    case op_kind::gatherv:
      return "MPI_Gatherv";
    case op_kind::barrier:
      return "MPI_Barrier";
  }
  return "MPI";
}

void set_counts(op_state& s, std::span<const std::size_t> counts, std::size_t total) {
  context& ctx = context::current();
  const auto ranks = static_cast<std::size_t>(ctx.size());
  if (counts.size() != ranks)
    throw std::invalid_argument("mpi: " + std::to_string(counts.size()) + " counts given for " +
                                std::to_string(ranks) + " ranks");
  if (counts[static_cast<std::size_t>(ctx.rank())] != s.count)
    throw std::invalid_argument("mpi: this rank's count is " +
                                std::to_string(counts[static_cast<std::size_t>(ctx.rank())]) +
                                " but it gives " + std::to_string(s.count) + " elements");
  s.counts.resize(ranks);
  s.displs.resize(ranks);
  std::size_t at = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    const std::size_t c = units(s, counts[r]);
    if (c > static_cast<std::size_t>(INT_MAX) || units(s, at) > static_cast<std::size_t>(INT_MAX))
      throw std::invalid_argument("mpi: rank " + std::to_string(r) + "'s " +
                                  std::to_string(counts[r]) +
                                  " elements exceed what one MPI call carries");
    s.counts[r] = static_cast<int>(c);
    s.displs[r] = static_cast<int>(units(s, at));
    at += counts[r];
  }
  if (at != total)
    throw std::invalid_argument("mpi: the counts add up to " + std::to_string(at) +
                                " elements, the buffer holds " + std::to_string(total));
}

}  // namespace brigade::mpi::detail

namespace brigade::mpi {

operation<void> barrier() {
  auto s = std::make_shared<detail::op_state>();
  s->kind = detail::op_kind::barrier;
  return operation<void>(std::move(s));
}

}  // namespace brigade::mpi
