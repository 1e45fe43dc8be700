// The event loop's machinery: posted work, the timers (a timing wheel), the run loop, and the
// rules for resuming operations (src/io/README.md).
#include "loop_core.hpp"

#include <brigade/core/detail/trace_hooks.hpp>

#include <brigade/io/detail/op_awaiter.hpp>
#include <brigade/io/timer.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

namespace brigade {
namespace {

constinit thread_local event_loop* tls_loop = nullptr;

io_backend resolve_backend(io_backend requested) {
  if (requested != io_backend::automatic) return requested;
  const char* env = std::getenv("BRIGADE_IO");
  if (env == nullptr) return io_backend::automatic;
  const std::string v = env;
  if (v == "epoll") return io_backend::epoll;
  if (v == "uring" || v == "io_uring") return io_backend::uring;
  throw std::invalid_argument("BRIGADE_IO=\"" + v + "\" is invalid: expected epoll or uring");
}

}  // namespace

namespace detail {

namespace {
std::atomic<unsigned> loops_created{0};

std::int64_t blocking_threshold_ms() {
  const char* env = std::getenv("BRIGADE_WARN_BLOCKING_MS");
  if (env == nullptr) return 100;
  char* end = nullptr;
  const long v = std::strtol(env, &end, 10);
  if (end == env || *end != '\0' || v < 0)
    throw std::invalid_argument(std::string("BRIGADE_WARN_BLOCKING_MS=\"") + env +
                                "\" is invalid: expected milliseconds (0 turns the warning off)");
  return v;
}
}  // namespace

// A resumption queued by resume_later: allocated, or taken from the loop's reserve when the
// allocation fails (ctx then points at the loop_core to give it back to).
struct loop_core::later_node final : resume_node {
  later_node() noexcept {
    run = [](post_node& n) noexcept {
      auto* self = static_cast<later_node*>(&n);
      const std::coroutine_handle<> w = self->waiter;
      if (self->ctx != nullptr) {
        static_cast<loop_core*>(self->ctx)->give_back(*self);
      } else {
        delete self;
      }
      w.resume();
    };
  }
};

loop_core::loop_core(event_loop& owner, io_backend which)
    : owner_(owner),
      number_(loops_created.fetch_add(1, std::memory_order_relaxed)),
      warn_blocking_ms_(blocking_threshold_ms()),
      reserve_(std::make_unique<later_node[]>(reserve_nodes)) {
  for (std::size_t i = 0; i < reserve_nodes; ++i) give_back(reserve_[i]);
  const io_backend want = resolve_backend(which);
  if (want != io_backend::epoll) reactor_ = make_uring_reactor(*this);
  if (reactor_ != nullptr) {
    kind_ = io_backend::uring;
  } else if (want == io_backend::uring) {
    throw std::system_error(ENOSYS, std::generic_category(),
                            "brigade::event_loop: io_uring was asked for but is not available");
  } else {
    reactor_ = make_epoll_reactor(*this);
    kind_ = io_backend::epoll;
#if BRIGADE_HAVE_LIBURING
    // Chosen automatically, epoll is a fallback the user should hear of (it is slower for
    // files), once per process; BRIGADE_IO=epoll asks for it and hears nothing, and a build
    // without liburing has nothing to fall back from.
    static std::atomic<bool> told{false};
    if (want == io_backend::automatic && !told.exchange(true, std::memory_order_relaxed))
      std::fprintf(stderr,
                   "brigade: io_uring is not available here (refused by the kernel, or too "
                   "old); event loops use epoll (BRIGADE_IO=epoll chooses it without this "
                   "line)\n");
#endif
  }
}

loop_core::~loop_core() {
  // A poster on another thread may still be inside post() (waking us); let it finish before
  // the reactor and the queue go away.
  std::lock_guard lock(post_mu_);
}

template <class T, T* T::*Link>
void loop_core::enqueue(intrusive_fifo<T, Link>& q, T& n) noexcept {
  // Everything under the lock, the wake-up included: once the node is visible the loop may run
  // it, its coroutine may finish, and the loop's owner may destroy the loop — which takes this
  // lock before the reactor goes (~loop_core), so it waits for us to be done with it.
  std::lock_guard lock(post_mu_);
  q.push(n);
  // See waiting_: after our insert, either the loop sees the node or we see it waiting.
  if (waiting_.load(std::memory_order_seq_cst)) reactor_->wake();
}

void loop_core::post(post_node& n) noexcept {
  enqueue(posted_, n);
}

void loop_core::post_op(io_op& op) noexcept {
  enqueue(posted_ops_, op);
}

void loop_core::post_cancel(io_op& op) noexcept {
  enqueue(cancellations_, op);
}

bool loop_core::run_posted() noexcept {
  post_node* n;
  io_op* op;
  io_op* cancelled;
  {
    std::lock_guard lock(post_mu_);
    n = posted_.take_all();
    op = posted_ops_.take_all();
    cancelled = cancellations_.take_all();
  }
  const bool any = n != nullptr || op != nullptr || cancelled != nullptr;
  // Ops first (neither resumes a coroutine: each goes to a timer container, a backend or the
  // ready queue). A cancellation posted for one of them may run before or after it: both
  // orders are handled (start_on_loop sees the claim; cancel_on_loop waits for the start).
  while (op != nullptr) {
    io_op* next = op->next;  // starting or finishing op links it elsewhere through next
    if (op->submitted) {
      finish(*op, op->result);  // a transfer that ran on another thread
    } else {
      start_on_loop(*op);
    }
    op = next;
  }
  while (cancelled != nullptr) {
    io_op* next = cancelled->cancel_next;
    cancel_on_loop(*cancelled);
    cancelled = next;
  }
  while (n != nullptr) {
    post_node* next = n->next;  // run() may free or requeue n
    const std::uint64_t after = n->trace_after;
    step_begin(nullptr, after);
    n->run(*n);
    step_end(nullptr);
    n = next;
  }
  return any;
}

void loop_core::step_begin(const char* label, std::uint64_t after) noexcept {
  step_start_ = coarse_now_ms();
  if (tracing::on()) tracing::begin_segment(label, last_step_, after);
}

void loop_core::step_end(const char* label) noexcept {
  if (tracing::on()) {
    if (const std::uint64_t s = tracing::end_segment()) last_step_ = s;
  }
  if (warn_blocking_ms_ == 0) return;
  const std::int64_t took = coarse_now_ms() - step_start_;
  if (took < warn_blocking_ms_) return;
  if (tracing::on())
    tracing::record(tracing::kind::loop_lag, 0, static_cast<std::uint64_t>(took) * 1'000'000,
                    label);
  report_blocking(label, took);
}

void loop_core::report_blocking(const char* label, std::int64_t took_ms) noexcept {
  const void* key = label;  // once per label (unnamed steps share one report)
  for (const void* seen : blocking_reported_)
    if (seen == key) return;
  try {
    blocking_reported_.push_back(key);
  } catch (...) {
  }
  std::fprintf(stderr,
               "brigade: event loop %u was blocked for %lld ms by %s%s%s. Nothing else on this "
               "loop ran meanwhile: move CPU work off the loop with brigade::offload, and "
               "blocking calls onto the pool. (BRIGADE_WARN_BLOCKING_MS sets the threshold; "
               "reported once per label.)\n",
               number_, static_cast<long long>(took_ms),
               label != nullptr ? "the step of '" : "an unnamed step",
               label != nullptr ? label : " (name it with brigade::trace::named)",
               label != nullptr ? "'" : "");
}

std::int64_t loop_core::coarse_now_ms() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);  // a few ns: read from the vDSO page
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

bool loop_core::claim(io_op& op) noexcept {
  auto pending = static_cast<std::uint32_t>(op_state::pending);
  // acq_rel: pairs with finish()'s CAS; exactly one of the two wins.
  return op.state.compare_exchange_strong(pending, static_cast<std::uint32_t>(op_state::cancelling),
                                          std::memory_order_acq_rel);
}

bool loop_core::submit(io_op& op) noexcept {
  if (!owner_.on_loop_thread()) {
    post_op(op);
    return false;
  }
  inline_op_ = &op;
  inline_done_ = false;
  start_on_loop(op);
  inline_op_ = nullptr;
  return inline_done_;
}

void loop_core::start_on_loop(io_op& op) noexcept {
  op.submitted = true;
  ++pending_ops_;
  if (op.state.load(std::memory_order_acquire) ==
      static_cast<std::uint32_t>(op_state::cancelling)) {
    // Cancelled before it started: nothing to undo.
    op.result = -ECANCELED;
    op.io_done = true;
    if (op.cancel_seen) make_ready(op);
    return;
  }
  if (op.kind == io_kind::timer) {
    timers_.push(as_timer_op(op));
    return;
  }
  reactor_->start(op);
}

void loop_core::finish(io_op& op, std::int64_t result) noexcept {
  op.result = result;
  op.io_done = true;
  auto pending = static_cast<std::uint32_t>(op_state::pending);
  if (op.state.compare_exchange_strong(pending, static_cast<std::uint32_t>(op_state::completed),
                                       std::memory_order_acq_rel)) {
    if (&op == inline_op_) {
      inline_done_ = true;  // the awaiter continues without suspending
      --pending_ops_;
      return;
    }
    make_ready(op);
  } else if (op.cancel_seen) {
    make_ready(op);
  }
  // else: a canceller claimed it; its posted cancellation will find io_done and resume.
}

void loop_core::cancel_on_loop(io_op& op) noexcept {
  op.cancel_seen = true;
  if (!op.submitted) return;  // start_on_loop() will see the claim
  if (op.io_done) {
    make_ready(op);
    return;
  }
  if (op.kind == io_kind::timer) {
    timers_.remove(as_timer_op(op));
    finish(op, -ECANCELED);
    return;
  }
  reactor_->abort(op);
}

void loop_core::make_ready(io_op& op) noexcept {
  op.next = nullptr;
  if (ready_tail_ != nullptr) {
    ready_tail_->next = &op;
  } else {
    ready_head_ = &op;
  }
  ready_tail_ = &op;
}

bool loop_core::run_ready() noexcept {
  io_op* op = ready_head_;
  ready_head_ = ready_tail_ = nullptr;
  const bool any = op != nullptr;
  while (op != nullptr) {
    io_op* next = op->next;  // resuming may end the coroutine that holds op
    // The next coroutine's frame is most likely cold (a timer that slept for a second): start
    // loading it while this one runs. Only an address is read; nothing is dereferenced.
    if (next != nullptr) __builtin_prefetch(next->waiter.address());
    --pending_ops_;
    const char* label = op->label;
    step_begin(label, op->trace_after);
    op->waiter.resume();
    step_end(label);
    op = next;
  }
  return any;
}

void loop_core::request_stop() noexcept {
  stop_.store(true, std::memory_order_seq_cst);
  reactor_->wake();
}

std::int64_t loop_core::wait_timeout() const noexcept {
  const std::int64_t at = timers_.next_check();
  if (at < 0) return -1;
  const std::int64_t d = at - event_loop::now_ns();
  return d > 0 ? d : 0;
}

void loop_core::fire_timers() noexcept {
  if (timers_.empty()) return;
  // One clock read per turn: every timer due by then fires in this batch, in deadline order,
  // and is resumed by run_ready() without a system call of its own.
  const std::int64_t now = event_loop::now_ns();
  while (timer_op* op = timers_.pop_due(now)) {
    if (tracing::on())
      tracing::record(tracing::kind::timer_fire, op->trace_after,
                      static_cast<std::uint64_t>(now - op->deadline_ns), nullptr);
    finish(*op, 0);
  }
}

void loop_core::give_back(later_node& n) noexcept {
  std::lock_guard lock(post_mu_);
  n.next = spare_;
  spare_ = &n;
}

void loop_core::resume_later(std::coroutine_handle<> h, std::uint64_t trace_after) noexcept {
  // A wake-up cannot fail (resume_later is noexcept, and a lost one would leave a coroutine
  // suspended for ever), so when memory runs out it takes a node from the reserve.
  later_node* n = new (std::nothrow) later_node;
  if (n == nullptr) {
    {
      std::lock_guard lock(post_mu_);
      n = static_cast<later_node*>(spare_);
      if (n != nullptr) spare_ = n->next;
    }
    if (n == nullptr) {
      std::fprintf(stderr,
                   "brigade::event_loop: out of memory with more than %zu wake-ups queued\n",
                   reserve_nodes);
      std::terminate();
    }
    n->ctx = this;
  }
  n->waiter = h;
  n->trace_after = trace_after;
  post(*n);
}

void loop_core::claim_run() {
  if (running_.exchange(true, std::memory_order_acq_rel))
    throw std::logic_error(
        "brigade::event_loop: run() or run_until() while the loop is already running (on "
        "another thread, or from inside the loop itself): a loop has one thread");
}

void loop_core::release_run() noexcept {
  running_.store(false, std::memory_order_release);
}

void loop_core::run() {
  claim_run();
  turn_until(nullptr, false);
  release_run();
}

void loop_core::run_root(std::coroutine_handle<> root, const bool& finished,
                         std::stop_source& stop) {
  claim_run();  // before the root is queued: a refused run leaves nothing behind
  resume_node start;
  start.waiter = root;
  post(start);
  turn_until(&finished, false);
  if (!finished) {
    // Stopped from outside while the root still waits: its frame (and the frames it awaits)
    // hold operations the loop refers to. End them by cancellation, and let the root finish.
    stop.request_stop();
    turn_until(&finished, true);
  }
  release_run();
}

void loop_core::turn_until(const bool* finished, bool cancelling) {
  outer_loop_ = tls_loop;
  tls_loop = &owner_;
  if (name_ == nullptr) {
    // Nothing may throw out of here: run_root has queued a node on its own stack, and the
    // loop would stay claimed. A name that cannot be allocated is tried again next run.
    try {
      name_ = tracing::intern("loop " + std::to_string(number_));
    } catch (const std::bad_alloc&) {
    }
  }
  // The thread is "loop N" in traces while it runs the loop, and itself again afterwards (a
  // main thread that ran a loop once is "main" in a later recording). Restored without an
  // event: a recording that saw the loop run keeps that name for the thread's lane.
  const char* const outer_name = tracing::this_thread.name;
  if (name_ != nullptr && outer_name != name_) tracing::name_thread(name_);
  outer_context_ = set_current_resume_context(this);
  // A stop() that came before run() counts (a runtime may stop a loop whose thread has not
  // reached run() yet); the request is used up when run() returns. While cancelling, stop
  // requests change nothing: the loop is already on its way out.
  for (;;) {
    bool busy = run_posted();
    fire_timers();
    busy = run_ready() || busy;
    if (finished != nullptr && *finished) break;
    const bool stopping = !cancelling && stop_.load(std::memory_order_acquire);
    if (stopping) break;
    // Operations started by what just ran are cancelled too: the turn after, their coroutines
    // resume with operation_cancelled.
    if (cancelling && cancel_all_pending()) busy = true;
    if (busy) continue;  // resumed code may have queued more: look again before blocking
    waiting_.store(true, std::memory_order_seq_cst);
    bool queued;
    {
      std::lock_guard lock(post_mu_);
      queued = !posted_.empty() || !posted_ops_.empty() || !cancellations_.empty();
    }
    const std::int64_t timeout =
        queued || (!cancelling && stop_.load(std::memory_order_acquire)) ? 0 : wait_timeout();
    if (timeout != 0) tracing::record(tracing::kind::loop_wait_begin, 0, 0, nullptr);
    reactor_->wait(timeout);
    if (timeout != 0) tracing::record(tracing::kind::loop_wait_end, 0, 0, nullptr);
    waiting_.store(false, std::memory_order_relaxed);
  }
  stop_.store(false, std::memory_order_relaxed);  // the loop's own thread: nothing to order
  set_current_resume_context(outer_context_);
  tls_loop = outer_loop_;
  tracing::this_thread.name = outer_name;
}

bool loop_core::cancel_all_pending() noexcept {
  // Copied first: cancelling a timer edits the wheel, and an epoll abort may edit the
  // reactor's list. An op another thread claimed first ends through its posted cancellation.
  std::vector<timer_op*> timers;
  timers_.collect(timers);
  std::vector<io_op*> victims = reactor_->pending();
  victims.insert(victims.end(), timers.begin(), timers.end());
  for (io_op* op : victims)
    if (claim(*op)) cancel_on_loop(*op);
  return !victims.empty();
}

void loop_core::drain() noexcept {
  event_loop* saved = tls_loop;
  tls_loop = &owner_;
  for (int round = 0; round < 1000; ++round) {
    bool any = run_posted();
    any = run_ready() || any;
    any = cancel_all_pending() || any;
    if (pending_ops_ != 0) reactor_->wait(any ? 0 : 1'000'000);
    any = run_ready() || any;
    if (!any && pending_ops_ == 0) break;
  }
  if (pending_ops_ != 0)
    std::fprintf(stderr, "brigade::event_loop destroyed with %zu operation(s) that did not end\n",
                 pending_ops_);
  tls_loop = saved;
}

void cancel_op(io_op& op) noexcept {
  if (!loop_core::claim(op)) return;
  loop_access::core(*op.loop).post_cancel(op);
}

event_loop& current_loop_or_throw(const char* what) {
  if (event_loop* l = tls_loop) return *l;
  throw std::logic_error(std::string("brigade::") + what +
                         ": not running on an event loop thread (pass the loop explicitly)");
}

timer_awaiter timer_on_current_context(std::int64_t deadline_ns, const char* what) {
  // A context with timers of its own (the simulator) wins over a loop it was started from.
  if (resume_context* ctx = current_resume_context(); ctx != nullptr && ctx->has_timers())
    return timer_awaiter(*ctx, deadline_ns);
  if (event_loop* l = tls_loop) return timer_awaiter(*l, deadline_ns);
  throw std::logic_error(std::string("brigade::") + what +
                         ": not running on an event loop thread or in a simulation (pass the "
                         "loop explicitly: sleep_for(loop, d))");
}

void run_loop_until(event_loop& loop, std::coroutine_handle<> root, const bool& finished,
                    std::stop_source& stop) {
  loop_access::core(loop).run_root(root, finished, stop);
}

}  // namespace detail

event_loop::event_loop() : event_loop(options{}) {}

event_loop::event_loop(options o) : core_(std::make_unique<detail::loop_core>(*this, o.backend)) {}

event_loop::~event_loop() {
  core_->drain();
}

io_backend event_loop::backend() const noexcept {
  return core_->kind();
}

const char* event_loop::backend_name() const noexcept {
  return core_->backend().name();
}

void event_loop::run() {
  core_->run();
}

void event_loop::stop() noexcept {
  core_->request_stop();
}

event_loop* event_loop::current() noexcept {
  return tls_loop;
}

void event_loop::post_node(detail::post_node& n) noexcept {
  core_->post(n);
}

bool detail::loop_access::submit(event_loop& l, io_op& op) noexcept {
  return l.core_->submit(op);
}

std::int64_t event_loop::now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace brigade
