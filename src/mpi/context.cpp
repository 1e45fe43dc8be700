// The MPI context: MPI initialized and finalized by the progress agent, the live context, and
// ending a job cleanly when a rank fails.
#include "agent.hpp"

#include <brigade/mpi/context.hpp>
#include <brigade/mpi/operation.hpp>
#include <brigade/trace/trace.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>

namespace brigade::mpi {

struct context::impl {
  std::unique_ptr<detail::agent> agent;
};

namespace {

// The live context: written by its constructor and destructor on the thread that owns it,
// read by operations on any thread while it lives (acquire/release: the reader sees the
// agent the constructor built).
std::atomic<context*> live{nullptr};
std::atomic<detail::agent*> live_agent{nullptr};
// MPI can be initialized once per process: set by the first context, never cleared.
std::atomic<bool> initialized{false};

bool funneled_by_environment() {
  const char* v = std::getenv("BRIGADE_MPI_THREADS");
  if (v == nullptr || *v == '\0' || std::string(v) == "multiple") return false;
  if (std::string(v) == "funneled") return true;
  throw std::invalid_argument(std::string("BRIGADE_MPI_THREADS: '") + v +
                              "' is not 'multiple' or 'funneled'");
}

const char* level_name(int level) noexcept {
  switch (level) {
    case MPI_THREAD_SINGLE:
      return "MPI_THREAD_SINGLE";
    case MPI_THREAD_FUNNELED:
      return "MPI_THREAD_FUNNELED";
    case MPI_THREAD_SERIALIZED:
      return "MPI_THREAD_SERIALIZED";
    case MPI_THREAD_MULTIPLE:
      return "MPI_THREAD_MULTIPLE";
    default:
      return "an unknown MPI thread level";
  }
}

detail::agent& the_agent() {
  detail::agent* a = live_agent.load(std::memory_order_acquire);
  if (a == nullptr)
    throw std::logic_error(
        "brigade::mpi: no context (create one brigade::mpi::context, or use mpi::run, first)");
  return *a;
}

}  // namespace

const char* to_string(thread_mode m) noexcept {
  return m == thread_mode::multiple ? "multiple" : "funneled";
}

context::context(int& argc, char**& argv, const context_options& options)
    : uncaught_at_start_(std::uncaught_exceptions()) {
  const bool forced = options.force_funneled || funneled_by_environment();
  if (initialized.exchange(true))
    throw std::logic_error(
        "brigade::mpi::context: MPI was initialized in this process already (MPI allows it "
        "once: keep one context for the whole program)");
  impl_ = std::make_unique<impl>();
  impl_->agent = std::make_unique<detail::agent>(&argc, &argv, forced);
  live_agent.store(impl_->agent.get(), std::memory_order_release);
  live.store(this, std::memory_order_release);
  // Every trace file this process writes (BRIGADE_TRACE at exit, SIGUSR2, trace::stop/flush)
  // becomes NAME.rankR.EXT, so ranks never overwrite each other's.
  brigade::trace::set_rank(impl_->agent->rank);
  if (!forced && impl_->agent->mode == thread_mode::funneled && impl_->agent->rank == 0)
    std::fprintf(stderr,
                 "brigade::mpi: MPI gives %s, not MPI_THREAD_MULTIPLE: every MPI call goes "
                 "through one progress thread\n",
                 level_name(impl_->agent->provided));
}

context::~context() {
  const bool failing = std::uncaught_exceptions() > uncaught_at_start_;
  if (failing) {
    std::fprintf(stderr,
                 "rank %d: an exception is ending this rank: aborting the job (MPI_Abort) so "
                 "that no other rank waits for it\n",
                 rank());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::_Exit(1);
  }
  live.store(nullptr, std::memory_order_release);
  live_agent.store(nullptr, std::memory_order_release);
  impl_.reset();  // the agent finalizes MPI
}

int context::rank() const noexcept {
  return impl_->agent->rank;
}
int context::size() const noexcept {
  return impl_->agent->size;
}
thread_mode context::mode() const noexcept {
  return impl_->agent->mode;
}
const char* context::provided_level() const noexcept {
  return level_name(impl_->agent->provided);
}

void context::abort(std::string_view message, int code) noexcept {
  std::fprintf(stderr, "rank %d: %.*s\n", rank(), static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

context& context::current() {
  context* c = live.load(std::memory_order_acquire);
  if (c == nullptr)
    throw std::logic_error(
        "brigade::mpi: no context (create one brigade::mpi::context, or use mpi::run, first)");
  return *c;
}

int run(int& argc, char**& argv, const std::function<int(context&)>& body,
        const context_options& options) {
  std::optional<context> ctx;
  try {
    ctx.emplace(argc, argv, options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpi: error: %s\n", e.what());
    return 1;
  }
  try {
    return body(*ctx);
  } catch (const std::exception& e) {
    ctx->abort(std::string("error: ") + e.what(), 1);
  } catch (...) {
    ctx->abort("error: an exception that is not a std::exception", 1);
  }
}

namespace detail {

void start(const std::shared_ptr<op_state>& s) {
  the_agent().submit(s);
}

void abandon(op_state& s) noexcept {
  {
    std::lock_guard lock(s.mu);
    if (s.done) return;
    s.waiter = {};
    s.cancel_requested = true;
  }
  if (detail::agent* a = live_agent.load(std::memory_order_acquire)) a->poke();
  std::unique_lock lock(s.mu);
  s.cv.wait(lock, [&] { return s.done; });
}

}  // namespace detail
}  // namespace brigade::mpi
