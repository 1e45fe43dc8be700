// The deterministic simulator behind brigade::sim::run: one thread, a seeded choice among the
// runnable coroutines, virtual time, and a hash of every decision.
#include <brigade/core/detail/resume_context.hpp>
#include <brigade/sim/explore.hpp>
#include <brigade/sim/sim.hpp>
#include <brigade/sync/check.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <new>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace brigade::detail {
namespace {

class simulator;
constinit thread_local simulator* tls_sim = nullptr;
thread_local sim::run_result tls_last_run;

class simulator final : public resume_context {
 public:
  explicit simulator(std::uint64_t seed) : seed_(seed), rng_(seed) {}

  void resume_later(std::coroutine_handle<> h, std::uint64_t) noexcept override {
    check_thread();
    enqueue(h);
  }

  std::int64_t now_ns() const noexcept override { return now_; }
  bool has_timers() const noexcept override { return true; }

  void resume_at(timed_resume& t) override {
    check_thread();
    if (t.deadline_ns < now_) t.deadline_ns = now_;  // past deadlines fire at the next turn
    t.ticket = next_timer_++;  // ties between equal deadlines: in the order they were set
    timers_.emplace(std::pair(t.deadline_ns, t.ticket), &t);
  }

  bool cancel_at(timed_resume& t) noexcept override {
    check_thread();
    return timers_.erase(std::pair(t.deadline_ns, t.ticket)) == 1;
  }

  bool owns_detached() const noexcept override { return true; }

  void start_detached(std::coroutine_handle<> h) override {
    check_thread();
    // Room first: if live_ kept h and the push then failed, spawn would destroy h while live_
    // still held it.
    if (runnable_.size() == runnable_.capacity())
      runnable_.reserve(std::max<std::size_t>(16, 2 * runnable_.capacity()));
    live_.insert(h);
    runnable_.push_back(h);  // cannot throw: reserved
  }

  void detached_done(std::coroutine_handle<> h, std::exception_ptr error) noexcept override {
    if (error && !error_) error_ = std::move(error);
    live_.erase(h);
    h.destroy();
  }

  sim::run_result run() {
    while (!live_.empty()) {
      if (runnable_.empty() && spilled_ == 0) {
        if (timers_.empty()) break;  // deadlock: reported below
        // Virtual time jumps to the next timer; all timers due then become runnable.
        now_ = timers_.begin()->first.first;
        mix(static_cast<std::uint64_t>(now_));
        while (!timers_.empty() && timers_.begin()->first.first == now_) {
          enqueue(timers_.begin()->second->waiter);
          timers_.erase(timers_.begin());
        }
      }
      // The runnable coroutines are runnable_ followed by the spilled ones.
      const std::size_t queued = runnable_.size(), n = queued + spilled_;
      const std::size_t pick = n == 1 ? 0 : static_cast<std::size_t>(rng_() % n);
      mix(pick * 0x100000001b3ULL + n);
      std::coroutine_handle<> h;
      if (pick < queued) {
        h = runnable_[pick];
        runnable_[pick] = runnable_.back();
        runnable_.pop_back();
      } else {
        h = spill_[pick - queued];
        spill_[pick - queued] = spill_[--spilled_];
      }
      ++steps_;
      h.resume();
    }
    const std::size_t stuck = live_.size();
    // Destroying a stuck task destroys the chain of tasks it awaits. Taken out one at a time
    // (a copy of the set could fail to allocate and leave them all).
    while (!live_.empty()) {
      const std::coroutine_handle<> h = *live_.begin();
      live_.erase(live_.begin());
      h.destroy();
    }
    tls_last_run = {hash_, steps_, std::chrono::nanoseconds(now_)};
    if (error_) std::rethrow_exception(error_);
    if (stuck != 0)
      throw deadlock_error("brigade::sim: DEADLOCK with seed " + std::to_string(seed_) + ": " +
                           std::to_string(stuck) +
                           " task(s) wait and no runnable task or timer can wake them");
    return tls_last_run;
  }

 private:
  // Makes h runnable. A wake-up cannot be refused (resume_later is noexcept) and a lost one
  // would read as a deadlock, so when runnable_ cannot grow, h goes to a small array kept with
  // the simulator; only with that full too does the process end, saying so.
  void enqueue(std::coroutine_handle<> h) noexcept {
    try {
      runnable_.push_back(h);
      return;
    } catch (const std::bad_alloc&) {
    }
    if (spilled_ == spill_.size()) {
      std::fputs("brigade::sim: out of memory for a wake-up (and the 64 spare places are in use)\n",
                 stderr);
      std::abort();
    }
    spill_[spilled_++] = h;
  }

  void check_thread() const noexcept {
    if (std::this_thread::get_id() == thread_) return;
    std::fputs(
        "brigade::sim: a coroutine of a simulation was woken from another thread; "
        "a simulation must stay on its own thread\n",
        stderr);
    std::abort();
  }

  void mix(std::uint64_t v) noexcept {
    // FNV-1a over the 8 bytes of v.
    for (int i = 0; i < 8; ++i) {
      hash_ ^= (v >> (8 * i)) & 0xff;
      hash_ *= 0x100000001b3ULL;
    }
  }

  const std::uint64_t seed_;
  const std::thread::id thread_ = std::this_thread::get_id();
  std::mt19937_64 rng_;  // fully specified by the standard: the same picks on every platform
  std::vector<std::coroutine_handle<>> runnable_;
  std::map<std::pair<std::int64_t, std::uint64_t>, timed_resume*> timers_;
  std::uint64_t next_timer_ = 0;
  struct handle_less {
    bool operator()(std::coroutine_handle<> a, std::coroutine_handle<> b) const noexcept {
      return std::less<void*>()(a.address(), b.address());
    }
  };
  std::set<std::coroutine_handle<>, handle_less> live_;  // spawned tasks (the root is one)
  std::int64_t now_ = 0;
  std::array<std::coroutine_handle<>, 64> spill_{};  // wake-ups runnable_ had no room for
  std::size_t spilled_ = 0;
  std::uint64_t steps_ = 0;
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
  std::exception_ptr error_;
};

}  // namespace
}  // namespace brigade::detail

namespace brigade::sim {

run_result run(std::uint64_t seed, std::function<task<>()> fn) {
  if (detail::tls_sim != nullptr)
    throw std::logic_error("brigade::sim::run: already inside a simulation on this thread");
  detail::simulator s(seed);
  struct install {
    detail::simulator* s;
    detail::resume_context* outer;
    explicit install(detail::simulator* sim)
        : s(sim), outer(detail::set_current_resume_context(sim)) {
      detail::tls_sim = sim;
    }
    ~install() {
      detail::tls_sim = nullptr;
      detail::set_current_resume_context(outer);
    }
  } installed(&s);
  // fn itself runs as the first spawned task, so that an exception from it is reported like
  // any other.
  brigade::spawn([](std::function<task<>()> f) -> task<> { co_await f(); }(std::move(fn)));
  return s.run();
}

run_result last_run() noexcept {
  return detail::tls_last_run;
}

bool active() noexcept {
  return detail::tls_sim != nullptr;
}

namespace {

// BRIGADE_SEED: a whole decimal number, nothing else (not "", "-1", "12abc" or "0x10").
std::uint64_t parse_seed(const char* text) {
  const std::string_view v(text);
  std::uint64_t seed = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seed);
  if (v.empty() || ec != std::errc{} || end != v.data() + v.size())
    throw std::invalid_argument("BRIGADE_SEED=\"" + std::string(v) +
                                "\" is invalid: expected a seed, a whole number from 0 to " +
                                std::to_string(std::numeric_limits<std::uint64_t>::max()));
  return seed;
}

}  // namespace

std::optional<failure> explore(const explore_options& options, std::function<task<>()> body) {
  std::uint64_t first = options.first_seed;
  std::size_t count = options.seeds;
  if (const char* s = std::getenv("BRIGADE_SEED")) {
    first = parse_seed(s);
    count = 1;
  }
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t seed = first + i;
    try {
      run(seed, body);
    } catch (const std::exception& e) {
      if (options.print)
        std::printf(
            "brigade::sim: seed %llu fails: %s\n  replay it: brigade::sim::run(%llu, ...) "
            "or BRIGADE_SEED=%llu (schedule hash %016llx)\n",
            static_cast<unsigned long long>(seed), e.what(), static_cast<unsigned long long>(seed),
            static_cast<unsigned long long>(seed),
            static_cast<unsigned long long>(last_run().schedule_hash));
      return failure{seed, e.what(), last_run().schedule_hash};
    }
  }
  return std::nullopt;
}

}  // namespace brigade::sim
