// The deterministic simulator behind brigade::sim::run: one thread, a seeded choice among the
// runnable coroutines, virtual time, and a hash of every decision.
#include <brigade/core/detail/resume_context.hpp>
#include <brigade/sim/explore.hpp>
#include <brigade/sim/sim.hpp>
#include <brigade/sync/check.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <map>
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

// A spawned task's wrapper: reports its end (and exception) to the simulator, frees itself.
class sim_child {
 public:
  struct promise_type {
    simulator* sim = nullptr;
    sim_child get_return_object() noexcept {
      return sim_child{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct final_awaiter {
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<promise_type> h) const noexcept;
      void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // body() catches everything
  };
  std::coroutine_handle<promise_type> handle;
};

class simulator final : public resume_context {
 public:
  explicit simulator(std::uint64_t seed) : seed_(seed), rng_(seed) {}

  void resume_later(std::coroutine_handle<> h, std::uint64_t) noexcept override {
    if (std::this_thread::get_id() != thread_) {
      std::fputs(
          "brigade::sim: a coroutine of a simulation was woken from another thread; "
          "a simulation must stay on its own thread\n",
          stderr);
      std::abort();
    }
    runnable_.push_back(h);
  }

  void at(std::int64_t when, std::coroutine_handle<> h) {
    timers_.emplace(std::pair(when < now_ ? now_ : when, next_timer_++), h);
  }
  std::int64_t now() const noexcept { return now_; }

  void spawn(task<> t) {
    sim_child c = body(std::move(t), *this);
    c.handle.promise().sim = this;
    live_.insert(c.handle);
    runnable_.push_back(c.handle);
  }

  void child_done(std::coroutine_handle<sim_child::promise_type> h) noexcept {
    live_.erase(h);
    h.destroy();
  }

  sim::run_result run() {
    while (!live_.empty()) {
      if (runnable_.empty()) {
        if (timers_.empty()) break;  // deadlock: reported below
        // Virtual time jumps to the next timer; all timers due then become runnable.
        now_ = timers_.begin()->first.first;
        mix(static_cast<std::uint64_t>(now_));
        while (!timers_.empty() && timers_.begin()->first.first == now_) {
          runnable_.push_back(timers_.begin()->second);
          timers_.erase(timers_.begin());
        }
      }
      const std::size_t n = runnable_.size();
      const std::size_t pick = n == 1 ? 0 : static_cast<std::size_t>(rng_() % n);
      mix(pick * 0x100000001b3ULL + n);
      std::coroutine_handle<> h = runnable_[pick];
      runnable_[pick] = runnable_.back();
      runnable_.pop_back();
      ++steps_;
      h.resume();
    }
    const std::size_t stuck = live_.size();
    // Destroying a stuck child destroys the chain of tasks it awaits.
    for (auto h : std::vector(live_.begin(), live_.end())) h.destroy();
    live_.clear();
    tls_last_run = {hash_, steps_, sim::clock::duration(now_)};
    if (error_) std::rethrow_exception(error_);
    if (stuck != 0)
      throw deadlock_error("brigade::sim: DEADLOCK with seed " + std::to_string(seed_) + ": " +
                           std::to_string(stuck) +
                           " task(s) wait and no runnable task or timer can wake them");
    return tls_last_run;
  }

 private:
  static sim_child body(task<> t, simulator& s) {
    try {
      co_await std::move(t);
    } catch (...) {
      if (!s.error_) s.error_ = std::current_exception();
    }
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
  std::map<std::pair<std::int64_t, std::uint64_t>, std::coroutine_handle<>> timers_;
  std::uint64_t next_timer_ = 0;  // ties between equal deadlines: in the order they were set
  std::set<std::coroutine_handle<sim_child::promise_type>> live_;
  std::int64_t now_ = 0;
  std::uint64_t steps_ = 0;
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
  std::exception_ptr error_;
};

void sim_child::promise_type::final_awaiter::await_suspend(
    std::coroutine_handle<promise_type> h) const noexcept {
  h.promise().sim->child_done(h);
}

simulator& current_sim(const char* what) {
  if (tls_sim == nullptr)
    throw std::logic_error(std::string("brigade::") + what +
                           ": not inside brigade::sim::run (call it from a simulated task)");
  return *tls_sim;
}

}  // namespace

void sim_schedule(std::coroutine_handle<> h, const char* what) {
  current_sim(what).resume_later(h, 0);
}

void sim_schedule_at(std::int64_t when_ns, std::coroutine_handle<> h, const char* what) {
  current_sim(what).at(when_ns, h);
}

std::int64_t sim_now_ns(const char* what) {
  return current_sim(what).now();
}

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
  // fn itself runs as the first task, so that an exception from it is reported like any other.
  s.spawn([](std::function<task<>()> f) -> task<> { co_await f(); }(std::move(fn)));
  return s.run();
}

void spawn(task<> t) {
  detail::current_sim("sim::spawn").spawn(std::move(t));
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
