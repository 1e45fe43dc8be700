// The four ways to cook: sequential, one chef (a loop), a team (a pool), the brigade (both).
#include "kitchen_ways.hpp"

#include <brigade/brigade.hpp>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <thread>
#include <vector>

namespace brigade::cli {
namespace {

std::int64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::chrono::nanoseconds to_ns(double ms) {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(ms * 1e6));
}

// A CPU step: real arithmetic until this thread has used `ms` of CPU time. Counting the
// thread's own CPU time, not the clock, keeps the work the same when other programs (or the
// other ways' threads) preempt it.
void cpu_step(double ms) {
  const std::int64_t end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + to_ns(ms).count();
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  do {
    for (int i = 0; i < 4096; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  } while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end);
  // Keeps the arithmetic from being optimized away.
  static std::atomic<std::uint64_t> sink;
  sink.store(x, std::memory_order_relaxed);
}

// A wait that blocks its thread, as the sequential cook and the team do it. The thread's
// segment ends first and the time is recorded as a wait, so the timeline shows a blocked chef
// rather than work (the recorder only knows the loop's waits on its own).
void blocking_wait(double ms) {
  namespace tracing = brigade::detail::tracing;
  const bool traced = tracing::on();
  std::uint64_t before = 0;
  if (traced) {
    before = tracing::end_segment();
    tracing::record(tracing::kind::loop_wait_begin, 0, 0, nullptr);
  }
  std::this_thread::sleep_for(to_ns(ms));
  if (traced) {
    tracing::record(tracing::kind::loop_wait_end, 0, 0, nullptr);
    tracing::begin_segment(nullptr, before);
  }
}

// One dish with blocking waits: sequential, or one pool task of the team.
void dish_blocking(const kitchen_options& o) {
  brigade::trace::named("chop", [&] { cpu_step(o.cpu_ms); })();
  blocking_wait(o.wait_ms);  // the oven
  brigade::trace::named("stir", [&] { cpu_step(o.cpu_ms); })();
  blocking_wait(o.wait_ms);  // simmer
}

// One dish as a coroutine on an event loop. offload() runs a CPU step on the loop's pool,
// or inline when the runtime is single-threaded: the same code is "one chef" and "brigade".
brigade::task<void> dish_on_loop(const kitchen_options& o) {
  co_await brigade::offload(brigade::trace::named("chop", [&o] { cpu_step(o.cpu_ms); }));
  co_await brigade::sleep_for(to_ns(o.wait_ms));
  co_await brigade::offload(brigade::trace::named("stir", [&o] { cpu_step(o.cpu_ms); }));
  co_await brigade::sleep_for(to_ns(o.wait_ms));
}

brigade::task<void> all_dishes_on_loop(const kitchen_options& o) {
  std::vector<brigade::task<void>> dishes;
  dishes.reserve(o.dishes);
  for (unsigned i = 0; i < o.dishes; ++i) dishes.push_back(dish_on_loop(o));
  co_await brigade::when_all(std::move(dishes));
}

// Runs `cook` between trace::start() and stop(path), timing wall and process CPU time.
template <class F>
way_result timed(way w, const kitchen_options& o, const std::string& path, F&& cook) {
  way_result r;
  r.what = w;
  r.chefs = way_chefs(w, o);
  r.trace_path = path;
  // This thread ran an event loop in an earlier way and still carries its name; it is the
  // cook's own thread again.
  brigade::detail::tracing::name_thread("main");
  brigade::trace::start();
  const std::int64_t cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  const std::int64_t wall0 = clock_ns(CLOCK_MONOTONIC);
  cook();
  r.wall_seconds = static_cast<double>(clock_ns(CLOCK_MONOTONIC) - wall0) * 1e-9;
  r.cpu_seconds = static_cast<double>(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) * 1e-9;
  brigade::trace::stop(path);
  return r;
}

}  // namespace

std::string_view way_name(way w) noexcept {
  switch (w) {
    case way::sequential:
      return "sequential";
    case way::one_chef:
      return "one chef";
    case way::team:
      return "team";
    case way::brigade:
      return "brigade";
  }
  return "?";
}

std::string_view way_key(way w) noexcept {
  return w == way::one_chef ? "one_chef" : way_name(w);
}

std::string_view way_lesson(way w) noexcept {
  switch (w) {
    case way::sequential:
      return "one thing at a time: every wait leaves the kitchen idle";
    case way::one_chef:
      return "waits overlap, CPU steps don't: one thread computes one thing at a time";
    case way::team:
      return "CPU steps run in parallel, but every wait blocks a chef";
    case way::brigade:
      return "waits overlap on the loop and CPU steps run in parallel on the team";
  }
  return "";
}

unsigned way_chefs(way w, const kitchen_options& o) noexcept {
  return w == way::team || w == way::brigade ? o.chefs : 1;
}

way_result cook(way w, const kitchen_options& o, const std::string& trace_path) {
  switch (w) {
    case way::sequential:
      return timed(w, o, trace_path, [&] {
        for (unsigned i = 0; i < o.dishes; ++i) dish_blocking(o);
      });
    case way::one_chef: {
      brigade::runtime rt({.single_threaded = true});
      return timed(w, o, trace_path, [&] { rt.block_on(all_dishes_on_loop(o)); });
    }
    case way::team: {
      brigade::pool team(o.chefs);
      return timed(w, o, trace_path, [&] {
        brigade::task_group dishes(team);
        for (unsigned i = 0; i < o.dishes; ++i) dishes.run([&o] { dish_blocking(o); });
        dishes.wait();
      });
    }
    case way::brigade: {
      brigade::runtime rt({.threads = o.chefs});
      return timed(w, o, trace_path, [&] { rt.block_on(all_dishes_on_loop(o)); });
    }
  }
  return {};
}

}  // namespace brigade::cli
