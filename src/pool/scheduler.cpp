// The pool's workers: their main loop, stealing, the injection queue, and sleep/wake.
// The protocol is described in README.md next to this file.
#include <brigade/pool/detail/scheduler.hpp>

#include "futex.hpp"

#include <brigade/core/detail/trace_hooks.hpp>

#include <string>

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace brigade::detail {

constinit thread_local worker* tls_current_worker = nullptr;

namespace {

// Search rounds before a worker parks: the first spin with a pause, the next yield the core.
// Short enough that an idle pool parks within tens of microseconds; long enough that the
// gaps between fork-join phases do not cost a futex round trip.
constexpr unsigned spin_rounds = 64;
constexpr unsigned yield_rounds = 16;

// How long a parking worker naps before its last look for work (see park()).
constexpr long first_nap_ns = 200'000;

void idle_pause(unsigned round) noexcept {
  if (round < spin_rounds) {
    for (int i = 0; i < 16; ++i) cpu_relax();
  } else {
    std::this_thread::yield();
  }
}

}  // namespace

void block_async_signals() noexcept {
  // Asynchronous signals (SIGINT, SIGTERM, ...) go to threads that want them (a signal_set on
  // an event loop, the user's main thread), never to a worker in the middle of a job. Faults
  // stay deliverable: blocking them would turn a crash into a silent kill.
  sigset_t set;
  sigfillset(&set);
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

async_signals_blocked::async_signals_blocked() noexcept {
  static_assert(sizeof(sigset_t) <= sizeof(saved_) && alignof(sigset_t) <= 8);
  sigset_t set;
  sigfillset(&set);
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, reinterpret_cast<sigset_t*>(saved_));
}

async_signals_blocked::~async_signals_blocked() {
  pthread_sigmask(SIG_SETMASK, reinterpret_cast<const sigset_t*>(saved_), nullptr);
}

namespace {
std::atomic<unsigned> pools_created{0};
}

scheduler::scheduler(std::size_t threads)
    : pool_number_(pools_created.fetch_add(1, std::memory_order_relaxed) + 1) {
  workers_.reserve(threads);
  std::seed_seq seq{static_cast<unsigned>(threads), 0x9e3779b9U};
  std::vector<std::uint64_t> seeds(threads);
  seq.generate(seeds.begin(), seeds.end());
  for (std::size_t i = 0; i < threads; ++i)
    workers_.push_back(std::make_unique<worker>(*this, i, seeds[i] * 2654435761ULL + i));
  threads_.reserve(threads);
  const async_signals_blocked masked;  // the workers start with the mask already in place
  try {
    for (std::size_t i = 0; i < threads; ++i) {
      // Named here, not in the thread: a worker allocates nothing when it starts.
      const char* name = tracing::intern(
          (pool_number_ == 1 ? std::string("worker ")
                             : "pool " + std::to_string(pool_number_) + " worker ") +
          std::to_string(i));
      threads_.emplace_back([this, i, name] { worker_main(*workers_[i], name); });
    }
  } catch (...) {
    stopping_.store(true, memory_order_seq_cst);
    for (auto& w : workers_) wake(*w);
    for (auto& t : threads_) t.join();
    throw;
  }
}

scheduler::~scheduler() {
  // seq_cst: pairs with park()'s re-check after its announcement (see notify_work()).
  stopping_.store(true, memory_order_seq_cst);
  for (auto& w : workers_) wake(*w);
  for (auto& t : threads_) {
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();  // the pool is destroyed by its own worker (exit() inside a task)
    } else {
      t.join();
    }
  }
  while (injecting_.load(memory_order_acquire) != 0) std::this_thread::yield();
}

void scheduler::inject(job* j) noexcept {
  injecting_.fetch_add(1, memory_order_relaxed);
  {
    std::lock_guard lock(inject_mu_);
    j->injected_next_ = nullptr;
    (injected_tail_ != nullptr ? injected_tail_->injected_next_ : injected_head_) = j;
    injected_tail_ = j;
    // Written under the lock, read without it as a hint; seq_cst so that notify_work()'s
    // barrier orders it before the read of sleeping_.
    injected_count_.store(++injected_size_, memory_order_seq_cst);
  }
  notify_work();
  injecting_.fetch_sub(1, memory_order_release);  // see injecting_: the last access to *this
}

job* scheduler::take_injected() noexcept {
  if (injected_count_.load(memory_order_relaxed) == 0) return nullptr;
  job* j = nullptr;
  bool more = false;
  {
    std::lock_guard lock(inject_mu_);
    j = injected_head_;
    if (j == nullptr) return nullptr;
    injected_head_ = j->injected_next_;
    if (injected_head_ == nullptr) injected_tail_ = nullptr;
    injected_count_.store(--injected_size_, memory_order_seq_cst);
    more = injected_head_ != nullptr;
  }
  if (more) notify_work();  // chain: let another sleeper take the next one
  return j;
}

job* scheduler::steal_from_others(worker& w) noexcept {
  const std::size_t n = workers_.size();
  if (n < 2) return nullptr;
  // A few passes while a victim reports contention: a lost race means work was there.
  for (int pass = 0; pass < 4; ++pass) {
    bool contended = false;
    const std::size_t start = static_cast<std::size_t>(w.next_random() % n);
    for (std::size_t k = 0; k < n; ++k) {
      std::size_t v = start + k;
      if (v >= n) v -= n;
      if (v == w.index_) continue;
      worker& victim = *workers_[v];
      auto [j, lost] = victim.deque_.steal();
      if (j != nullptr) {
        if (tracing::on()) tracing::record(tracing::kind::steal, v, 0, nullptr);
        // More left behind and somebody asleep: wake a helper for it (wake-up chains out
        // from the first thief instead of all from the producer).
        if (victim.deque_.looks_nonempty()) notify_work();
        return j;
      }
      contended = contended || lost;
    }
    if (!contended) break;
  }
  return nullptr;
}

job* scheduler::find_work(worker& w, bool helping) noexcept {
  if (job* j = w.deque_.pop()) return j;
  if (helping) {
    if (job* j = steal_from_others(w)) return j;
    return take_injected();
  }
  if (job* j = take_injected()) return j;
  return steal_from_others(w);
}

bool scheduler::work_visible(const worker& w) const noexcept {
  // seq_cst loads: the re-check half of the Dekker pair with notify_work().
  if (injected_count_.load(memory_order_seq_cst) != 0) return true;
  for (const auto& other : workers_)
    if (other.get() != &w && other->deque_.looks_nonempty()) return true;
  return false;
}

void scheduler::park(worker& w, const wait_condition* done) noexcept {
  // Announce first, then re-check everything that could wake us. A producer publishes first,
  // then reads sleeping_: either it sees our announcement and wakes us, or we see its work
  // here. Stop (destructor), `done` (a stolen join branch, a task group) and injected jobs are
  // published with seq_cst or behind a fence, so for them one re-check is a proof.
  w.sleep_word_.store(1, memory_order_seq_cst);
  sleeping_.fetch_add(1, memory_order_seq_cst);
  std::atomic_thread_fence(memory_order_seq_cst);
  auto ready = [&] {
    return (done != nullptr && (*done)()) || stopping_.load(memory_order_seq_cst) ||
           work_visible(w);
  };
  auto cancel = [&] {
    std::uint32_t one = 1;
    // If a waker got here first it already took us off the count.
    if (w.sleep_word_.compare_exchange_strong(one, 0, memory_order_seq_cst))
      sleeping_.fetch_sub(1, memory_order_relaxed);
  };
  if (ready()) return cancel();
  // Jobs a worker pushes on its own deque are published without a fence, so its read of
  // sleeping_ may precede our announcement while its push is still in its store buffer. Such a
  // store becomes visible within nanoseconds: nap briefly, then look once more.
  futex_wait(w.sleep_word_, 1, first_nap_ns);
  if (w.sleep_word_.load(memory_order_acquire) == 0) return;  // woken
  if (ready()) return cancel();
  // Acquire pairs with wake()'s seq_cst CAS: what the waker did before waking us is visible.
  tracing::record(tracing::kind::park, 0, 0, nullptr);
  while (w.sleep_word_.load(memory_order_acquire) == 1) futex_wait(w.sleep_word_, 1, -1);
  tracing::record(tracing::kind::unpark, 0, 0, nullptr);
}

bool scheduler::wake(worker& w) noexcept {
  std::uint32_t one = 1;
  if (w.sleep_word_.load(memory_order_seq_cst) != 1) return false;
  if (!w.sleep_word_.compare_exchange_strong(one, 0, memory_order_seq_cst)) return false;
  // Relaxed: sleeping_ is a hint that makes notify_work() cheap when nobody sleeps; the
  // word itself carries the hand-off.
  sleeping_.fetch_sub(1, memory_order_relaxed);
  futex_wake(w.sleep_word_, 1);
  return true;
}

void scheduler::wake_one() noexcept {
  const std::size_t n = workers_.size();
  worker* self = current_worker();
  std::size_t start = self != nullptr && &self->sched_ == this
                          ? static_cast<std::size_t>(self->next_random() % n)
                          : 0;
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t v = start + k;
    if (v >= n) v -= n;
    if (wake(*workers_[v])) return;
  }
}

void scheduler::set_nice(int nice) {
  if (nice < -20 || nice > 19)
    throw std::invalid_argument("brigade::pool::set_worker_nice: " + std::to_string(nice) +
                                " is outside -20..19");
  for (auto& w : workers_) {
    int tid;
    while ((tid = w->tid_.load(memory_order_acquire)) == 0) std::this_thread::yield();
    // Linux applies PRIO_PROCESS with a thread id to that one thread.
    if (::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), nice) != 0)
      throw std::system_error(errno, std::generic_category(),
                              "brigade::pool::set_worker_nice(" + std::to_string(nice) + ")");
  }
}

void scheduler::worker_main(worker& w, const char* name) noexcept {
  w.tid_.store(static_cast<int>(::gettid()), memory_order_release);
  block_async_signals();
  tls_current_worker = &w;
  tracing::name_thread(name);
  unsigned idle = 0;
  for (;;) {
    if (job* j = find_work(w, false)) {
      j->execute();
      if (tracing::on()) tracing::end_segment();  // a job that left its strand open
      idle = 0;
      continue;
    }
    if (stopping_.load(memory_order_acquire) && injected_count_.load(memory_order_acquire) == 0)
      break;
    if (idle < spin_rounds + yield_rounds) {
      idle_pause(idle++);
      continue;
    }
    park(w, nullptr);
    idle = 0;
  }
  tls_current_worker = nullptr;
}

void worker::help_until(wait_condition done) noexcept {
  unsigned idle = 0;
  while (!done()) {
    if (job* j = sched_.find_work(*this, true)) {
      j->execute();
      if (tracing::on()) tracing::end_segment();
      idle = 0;
      continue;
    }
    if (idle < spin_rounds + yield_rounds) {
      idle_pause(idle++);
      continue;
    }
    sched_.park(*this, &done);
    idle = 0;
  }
}

}  // namespace brigade::detail
