// Recording: per-thread bounded buffers, segment bookkeeping, and BRIGADE_TRACE at startup.
#include "recorder.hpp"

#include <brigade/trace/trace.hpp>

#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

namespace brigade::detail::tracing {

atomic<bool> enabled_flag{false};
atomic<std::uint32_t> fork_depth_limit{default_fork_depth};

namespace {

// Never destroyed, for the same reason as intern()'s table: threads of a static pool may
// record while other statics are torn down at exit.
struct buffer_registry {
  std::mutex mu;
  std::vector<std::shared_ptr<thread_buffer>> buffers;  // guarded by mu
};
buffer_registry& registry() {
  static buffer_registry* const r = new buffer_registry;
  return *r;
}
// Bumped by every start(); a thread whose buffer is from an older generation takes a new one.
std::atomic<std::uint64_t> generation{1};
std::atomic<std::uint64_t> start_ns{0};
std::atomic<std::uint64_t> start_system_ns{0};
std::atomic<std::uint64_t> next_segment{1};
// Events per thread (BRIGADE_TRACE_EVENTS overrides), and whether to keep the last events
// instead of the first (BRIGADE_TRACE_MODE=ring). Relaxed: start() writes them before it bumps
// the generation (acq_rel), and a thread reads them after it loaded the new generation
// (acquire) to take a new buffer.
std::atomic<std::size_t> buffer_capacity{1 << 18};
std::atomic<bool> buffer_ring{false};

// The buffer's owner, beside this_thread (trace_hooks.hpp), which holds a plain pointer to it.
thread_local std::shared_ptr<thread_buffer> tls_owner;

// Whether now_ticks() reads the TSC: decided once, at static initialization, from CPUID's
// invariant-TSC bit (constant rate, and ticking in deep C-states: Linux's constant_tsc and
// nonstop_tsc). Never changes afterwards.
#if defined(__x86_64__) || defined(__i386__)
bool tsc_invariant() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0x80000007, &a, &b, &c, &d)) return false;
  return (d >> 8) & 1;
}
// A function's static, not a namespace one: a static initializer elsewhere may start a
// recording before this file's statics are initialized (the guard is one predictable branch).
bool use_tsc() noexcept {
  static const bool tsc = tsc_invariant() && std::getenv("BRIGADE_TRACE_NO_TSC") == nullptr;
  return tsc;
}
#else
constexpr bool use_tsc() noexcept {
  return false;
}
#endif
// The recording's start in ticks, read next to start_ns (see reset_recording).
std::atomic<std::uint64_t> start_ticks{0};

[[gnu::noinline]] thread_buffer* new_buffer_for_this_thread(std::uint64_t g) noexcept {
  try {
    auto& r = registry();
    std::lock_guard lock(r.mu);
    tls_owner = std::make_shared<thread_buffer>(static_cast<std::uint32_t>(r.buffers.size()),
                                                buffer_capacity.load(std::memory_order_relaxed),
                                                buffer_ring.load(std::memory_order_relaxed));
    r.buffers.push_back(tls_owner);
  } catch (...) {
    return nullptr;  // out of memory: record nothing rather than fail the program
  }
  this_thread.buffer = tls_owner.get();
  this_thread.generation = g;
  this_thread.segment = 0;  // segments do not survive across recordings
  if (this_thread.name != nullptr)
    this_thread.buffer->push(
        event{now_ticks(), 0, 0, this_thread.name, kind::thread_name, this_thread.buffer->index()});
  return this_thread.buffer;
}

inline thread_buffer* buffer_for_this_thread() noexcept {
  const std::uint64_t g = generation.load(std::memory_order_acquire);
  if (this_thread.generation == g && this_thread.buffer != nullptr) [[likely]]
    return this_thread.buffer;
  return new_buffer_for_this_thread(g);
}

// record() with a third id, for the fused kinds.
inline void emit(kind k, std::uint64_t a, std::uint64_t b, std::uint64_t c,
                 const char* label) noexcept {
  thread_buffer* buf = buffer_for_this_thread();
  if (buf == nullptr || buf->drop_if_full()) return;
  buf->push(event{now_ticks(), a, b, label, k, buf->index(), c});
}

}  // namespace

std::unique_ptr<thread_buffer::slot[], thread_buffer::free_slots> thread_buffer::allocate_slots(
    std::size_t capacity) {
  constexpr std::size_t huge = std::size_t{2} << 20;
  // A buffer under one huge page (a test's, or BRIGADE_TRACE_EVENTS set low) keeps small pages:
  // a huge one would make its first event clear 2 MiB.
  const bool use_huge = capacity * sizeof(slot) >= huge;
  const std::size_t align = use_huge ? huge : 64;
  const std::size_t bytes = (capacity * sizeof(slot) + align - 1) / align * align;
  void* p = std::aligned_alloc(align, bytes);
  if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  if (use_huge) ::madvise(p, bytes, MADV_HUGEPAGE);  // advice only: it works without
#endif
  return std::unique_ptr<slot[], free_slots>(static_cast<slot*>(p));
}

std::uint64_t now_ticks() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  if (use_tsc()) return __rdtsc();
#endif
  return now_ns();
}

tick_scale current_tick_scale() noexcept {
  tick_scale s;
  s.origin_ticks = start_ticks.load(std::memory_order_relaxed);
  s.origin_ns = start_ns.load(std::memory_order_relaxed);
  if (!use_tsc()) return s;
  s.identity = false;
  std::uint64_t ns = now_ns(), ticks = now_ticks();
  while (ns - s.origin_ns < 1'000'000) {  // a recording shorter than 1 ms: wait it out
    timespec pause{0, static_cast<long>(1'000'000 - (ns - s.origin_ns))};
    nanosleep(&pause, nullptr);
    ns = now_ns();
    ticks = now_ticks();
  }
  if (ticks > s.origin_ticks)
    s.ns_per_tick =
        static_cast<double>(ns - s.origin_ns) / static_cast<double>(ticks - s.origin_ticks);
  return s;
}

std::uint64_t now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

void record(kind k, std::uint64_t a, std::uint64_t b, const char* label) noexcept {
  if (!on()) return;
  emit(k, a, b, 0, label);
}

namespace {
// Inlined into begin_segment (an exported function is not, and the call was a tenth of a
// traced fork's time).
inline std::uint64_t next_id() noexcept {
  // Ids come in blocks per thread: one shared counter bumped on every fork would bounce its
  // cache line between the workers. Relaxed: only uniqueness matters.
  constexpr std::uint64_t block = 1024;
  if (this_thread.next_id == this_thread.end_id) [[unlikely]] {
    this_thread.next_id = next_segment.fetch_add(block, std::memory_order_relaxed);
    this_thread.end_id = this_thread.next_id + block;
  }
  return this_thread.next_id++;
}
}  // namespace

std::uint64_t new_segment_id() noexcept {
  return next_id();
}

std::uint64_t current_segment() noexcept {
  return this_thread.segment;
}
void set_current_segment(std::uint64_t id) noexcept {
  this_thread.segment = id;
}

std::uint64_t begin_segment(const char* label, std::uint64_t after1,
                            std::uint64_t after2) noexcept {
  if (!on()) return 0;
  const std::uint64_t ended = this_thread.segment;
  const std::uint64_t id = next_id();
  if (label == nullptr) label = this_thread.label;
  if (after2 == after1) after2 = 0;
  if (after1 == 0) std::swap(after1, after2);
  // One event for the end, the edges and the begin (the writer expands it), where it can say
  // them all: ended is one of the two sources (a join), or there is at most one source.
  if (ended != 0 && (ended == after1 || ended == after2)) {
    emit(kind::segment_next, ended, id, ended == after1 ? after2 : after1, label);
  } else if (after2 == 0) {
    emit(kind::segment_switch, ended, id, after1, label);
  } else {  // two sources besides the segment that ends: rare (a join whose g was stolen)
    record(kind::edge, after2, id, nullptr);
    emit(kind::segment_switch, ended, id, after1, label);
  }
  this_thread.segment = id;
  return id;
}

std::uint64_t signal_point() noexcept {
  const std::uint64_t ended = this_thread.segment;
  if (ended != 0) begin_segment(nullptr, ended);
  return ended;
}

std::uint64_t fork_point(const char** label) noexcept {
  if (this_thread.segment == 0) begin_segment(nullptr);
  *label = this_thread.label;
  return this_thread.segment;
}

std::uint64_t begin_sibling(std::uint64_t parent) noexcept {
  const std::uint64_t last = this_thread.segment;
  begin_segment(nullptr, parent);
  return last;
}

void begin_continuation(std::uint64_t f_last) noexcept {
  begin_segment(nullptr, f_last, this_thread.segment);
}

void begin_stolen_branch(std::uint64_t parent) noexcept {
  const std::uint64_t id = begin_segment(nullptr);
  if (id != 0 && parent != 0) record(kind::fork_edge, parent, id, nullptr);
}

void begin_segment_as(std::uint64_t id, const char* label) noexcept {
  if (!on() || id == 0) return;
  if (label == nullptr) label = this_thread.label;
  emit(kind::segment_switch, this_thread.segment, id, 0, label);
  this_thread.segment = id;
}

const char* intern(std::string_view label) {
  // Never destroyed: pool workers (of pool::global(), say) may still name themselves while
  // static destructors run at exit, and interned pointers must outlive every event.
  struct table {
    std::mutex mu;
    std::set<std::string, std::less<>> labels;
  };
  static table* const t = new table;
  std::lock_guard lock(t->mu);
  auto it = t->labels.find(label);
  if (it == t->labels.end()) it = t->labels.emplace(label).first;
  return it->c_str();
}

const char* intern_label(const char* label) noexcept {
  try {
    return intern(label);
  } catch (...) {
    return nullptr;
  }
}

std::uint64_t end_segment() noexcept {
  const std::uint64_t id = this_thread.segment;
  if (id == 0) return 0;
  this_thread.segment = 0;
  record(kind::segment_end, id, 0, nullptr);
  return id;
}

void set_buffer_capacity(std::size_t events) noexcept {
  buffer_capacity.store(events > 0 ? events : 1, std::memory_order_relaxed);
}

void name_thread(const char* name) noexcept {
  this_thread.name = name;
  if (!on()) return;
  const bool fresh = this_thread.generation != generation.load(std::memory_order_acquire) ||
                     this_thread.buffer == nullptr;
  thread_buffer* buf = buffer_for_this_thread();  // a fresh buffer records the name itself
  if (buf != nullptr && !fresh)
    buf->push(event{now_ticks(), 0, 0, name, kind::thread_name, buf->index()});
}

const char* current_label() noexcept {
  return this_thread.label;
}
const char* set_current_label(const char* label) noexcept {
  const char* old = this_thread.label;
  this_thread.label = label;
  return old;
}

std::vector<std::shared_ptr<thread_buffer>> snapshot_buffers() {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  return r.buffers;
}

std::uint64_t recording_start_ns() noexcept {
  return start_ns.load(std::memory_order_relaxed);
}

void reset_recording() {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.buffers.clear();
  generation.fetch_add(1, std::memory_order_acq_rel);
  start_ns.store(now_ns(), std::memory_order_relaxed);
  start_ticks.store(now_ticks(), std::memory_order_relaxed);
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  start_system_ns.store(static_cast<std::uint64_t>(
                            std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count()),
                        std::memory_order_relaxed);
}

std::uint64_t recording_start_system_ns() noexcept {
  return start_system_ns.load(std::memory_order_relaxed);
}

namespace {

// BRIGADE_TRACE_FORK_DEPTH, read at start-up: the limit a start() without one uses.
std::uint32_t& env_fork_depth() {
  static std::uint32_t depth = default_fork_depth;
  return depth;
}

std::string& env_trace_path() {
  static std::string path;
  return path;
}

void write_env_trace_at_exit() {
  if (!on()) return;
  try {
    const std::size_t n = brigade::trace::stop(env_trace_path());
    std::fprintf(stderr, "brigade: wrote %zu trace events to %s\n", n,
                 brigade::trace::ranked_path(env_trace_path()).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "brigade: could not write the trace: %s\n", e.what());
  }
}

// With BRIGADE_TRACE set, SIGUSR2 writes what is recorded so far (trace::flush) and recording
// goes on: a long-running server's trace, before it exits.
void install_flush_on_signal(const char* path) {
  try {
    brigade::trace::flush_on_signal(SIGUSR2, path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "brigade: SIGUSR2 will not write the trace: %s\n", e.what());
  }
}

// BRIGADE_TRACE=FILE: record from program start, write at exit. Runs when the library's trace
// recorder is linked in, i.e. in every program that uses the pool or an event loop.
const bool env_started = [] {
  // Before main(): nobody could catch an exception, and a setting silently ignored would cost
  // the user the run they meant to trace, so a bad one stops the program here.
  if (const char* n = std::getenv("BRIGADE_TRACE_EVENTS")) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(n, &end, 10);
    if (v <= 0 || end == n || *end != '\0' || errno == ERANGE) {
      std::fprintf(stderr,
                   "brigade: BRIGADE_TRACE_EVENTS=\"%s\" is invalid: expected a positive "
                   "number of events per thread\n",
                   n);
      std::exit(2);
    }
    buffer_capacity.store(static_cast<std::size_t>(v), std::memory_order_relaxed);
  }
  if (const char* n = std::getenv("BRIGADE_TRACE_FORK_DEPTH")) {
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(n, &end, 10);
    if (v < 0 || end == n || *end != '\0' || errno == ERANGE || v > UINT32_MAX) {
      std::fprintf(stderr,
                   "brigade: BRIGADE_TRACE_FORK_DEPTH=\"%s\" is invalid: expected a number of "
                   "nested forks, 0 to %u (forks deeper are recorded only when stolen)\n",
                   n, UINT32_MAX);
      std::exit(2);
    }
    env_fork_depth() = static_cast<std::uint32_t>(v);
  }
  if (const char* m = std::getenv("BRIGADE_TRACE_MODE")) {
    if (std::strcmp(m, "ring") == 0) {
      buffer_ring.store(true, std::memory_order_relaxed);
    } else if (std::strcmp(m, "linear") != 0) {
      std::fprintf(stderr,
                   "brigade: BRIGADE_TRACE_MODE=\"%s\" is invalid: expected \"linear\" (the first "
                   "events per thread, the default) or \"ring\" (the last ones)\n",
                   m);
      std::exit(2);
    }
  }
  const char* path = std::getenv("BRIGADE_TRACE");
  if (path == nullptr || *path == '\0') return false;
#ifdef BRIGADE_NO_TRACING
  std::fprintf(stderr,
               "brigade: BRIGADE_TRACE is set, but this brigade was built without tracing "
               "(BRIGADE_ENABLE_TRACING=OFF): no trace is written\n");
  return false;
#endif
  // The trace is written at exit; a path that cannot be written fails now, not after the work.
  // A file made only to check is removed again: with trace::set_rank called later, the trace
  // goes to NAME.rankR.EXT, and every rank would leave an empty NAME.EXT behind.
  const bool existed = ::access(path, F_OK) == 0;
  if (std::FILE* f = std::fopen(path, "a")) {
    std::fclose(f);
    if (!existed) std::remove(path);
  } else {
    std::fprintf(stderr, "brigade: BRIGADE_TRACE=\"%s\" cannot be written: %s\n", path,
                 std::strerror(errno));
    std::exit(2);
  }
  env_trace_path() = path;
  brigade::trace::start({.ring = buffer_ring.load(std::memory_order_relaxed),
                         .events_per_thread = buffer_capacity.load(std::memory_order_relaxed),
                         .fork_depth = env_fork_depth()});
  std::atexit(write_env_trace_at_exit);
  install_flush_on_signal(path);
  return true;
}();

}  // namespace

}  // namespace brigade::detail::tracing

namespace brigade::trace {

void start() {
  start(start_options{});
}

void start(const start_options& o) {
#ifdef BRIGADE_NO_TRACING
  (void)o;
  throw std::logic_error(
      "brigade::trace::start: this brigade was built without tracing (BRIGADE_ENABLE_TRACING=OFF)");
#endif
  detail::tracing::enabled_flag.store(false, std::memory_order_relaxed);
  detail::tracing::buffer_ring.store(o.ring, std::memory_order_relaxed);
  if (o.events_per_thread != 0)
    detail::tracing::buffer_capacity.store(o.events_per_thread, std::memory_order_relaxed);
  detail::tracing::fork_depth_limit.store(o.fork_depth.value_or(detail::tracing::env_fork_depth()),
                                          std::memory_order_relaxed);
  detail::tracing::reset_recording();
  detail::tracing::enabled_flag.store(true, std::memory_order_relaxed);
  detail::tracing::name_thread(
      detail::tracing::this_thread.name != nullptr ? detail::tracing::this_thread.name : "main");
  // The root strand; later stretches of this thread (after a join, say) keep its name.
  if (detail::tracing::this_thread.label == nullptr) detail::tracing::this_thread.label = "main";
  detail::tracing::begin_segment("main");
}

std::uint64_t dropped() {
  std::uint64_t n = 0;
  for (const auto& b : detail::tracing::snapshot_buffers()) n += b->dropped();
  return n;
}

const char* intern(std::string_view label) {
  return detail::tracing::intern(label);
}

}  // namespace brigade::trace
