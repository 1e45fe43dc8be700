// A million sleeping tasks: brigade (scope + sleep_until on an event_loop) against Asio (co_spawn
// + steady_timer on an io_context) and libuv (a uv_timer_t and a callback per task: no
// coroutine at all, the floor a callback runtime sets), in the same run. Each task sleeps a random
// 0..max delay (fixed seed). Reported per implementation: spawn time, peak RSS per task (VmHWM
// delta / N), lateness (when each task woke up minus its deadline: p50, p99, max), and the CPU time
// the process spent from the last task asleep to the last wake-up (getrusage: user + system), as
// wake-ups per CPU-second: on a shared machine that rate holds when the wall clock does not.
//
// Every measurement runs in a child process of its own (fork), so that one implementation's
// peak RSS and heap never hide the other's. Children run one after another, never together.
//
// --spawn-batch N: the tasks are started N at a time, and the spawner lets its loop turn between
// batches (brigade: co_await yield(); Asio: co_await post(); libuv: N per turn of an idle
// handle), so timers that come due while the rest are still being started fire on time. By
// default every task is started before the loop's first turn, and deadlines that fall inside
// the spawn are late by construction. With batches, tasks that woke before the last one started
// are not in the peak, so B/task is read from runs without them.
#include <brigade/core/context.hpp>
#include <brigade/core/scope.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/timer.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <uv.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  std::size_t tasks = 1'000'000;
  std::int64_t max_delay_ms = 1000;
  int reps = 3;
  std::uint64_t seed = 42;
  std::size_t spawn_batch = 0;  // 0: every task before the loop's first turn
  std::vector<std::string> impls{"brigade", "asio", "libuv"};
};

// What one child reports to the parent through a pipe (plain bytes: same binary both ends).
struct result {
  double spawn_s = 0;      // first spawn to every task asleep
  double total_s = 0;      // first spawn to the last wake-up
  double hwm_bytes = 0;    // VmHWM after minus VmHWM before (bytes)
  double rss_bytes = 0;    // VmRSS with every task asleep minus VmRSS before
  double late_p50_us = 0;  // lateness percentiles over every task
  double late_p99_us = 0;
  double late_max_us = 0;
  std::uint64_t late_over_50ms = 0;  // tasks that woke more than 50 ms after their deadline
  double wake_cpu_s = 0;             // CPU time from every task asleep to the last wake-up
  char backend[16] = {};
};

// A field of /proc/self/status in kB, as bytes.
double status_bytes(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(field);
  while (std::getline(in, line))
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':')
      return 1024.0 * std::strtod(line.c_str() + n + 1, nullptr);
  throw std::runtime_error(std::string("no ") + field + " in /proc/self/status");
}

std::int64_t since(clock_type::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t).count();
}

// The state every task writes to: preallocated and touched before the baseline is taken.
struct shared_state {
  std::vector<std::int64_t> delay_ns;  // per task, from the seed
  std::vector<std::int64_t> late_ns;   // per task, written when it wakes
  std::size_t asleep = 0;              // tasks that armed their timer
  std::size_t batch = 0;               // --spawn-batch
  clock_type::time_point start;        // just before the first spawn
  clock_type::time_point all_asleep;   // when the last task armed its timer
  double rss_asleep = 0;
  double cpu_asleep = 0;  // process CPU seconds when the last task armed its timer
};

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

void note_asleep(shared_state& s) {
  if (++s.asleep == s.delay_ns.size()) {
    s.all_asleep = clock_type::now();
    s.rss_asleep = status_bytes("VmRSS");
    s.cpu_asleep = cpu_seconds();
  }
}

// ---- brigade ----

brigade::task<void> brigade_sleeper(shared_state& s, std::size_t i) {
  const auto deadline = clock_type::now() + std::chrono::nanoseconds(s.delay_ns[i]);
  note_asleep(s);
  co_await brigade::sleep_until(deadline);
  s.late_ns[i] = (clock_type::now() - deadline).count();
}

brigade::task<void> brigade_main(shared_state& s) {
  brigade::scope sleepers;
  s.start = clock_type::now();
  for (std::size_t i = 0; i < s.delay_ns.size(); ++i) {
    sleepers.spawn(brigade_sleeper(s, i));
    if (s.batch != 0 && (i + 1) % s.batch == 0) co_await brigade::yield();
  }
  co_await sleepers.join();
}

void run_brigade(shared_state& s, result& r) {
  brigade::event_loop loop;
  std::snprintf(r.backend, sizeof r.backend, "%s", loop.backend_name());
  const double hwm0 = status_bytes("VmHWM");
  const double rss0 = status_bytes("VmRSS");
  loop.run_until(brigade_main(s));
  r.hwm_bytes = status_bytes("VmHWM") - hwm0;
  r.rss_bytes = s.rss_asleep - rss0;
}

// ---- Asio ----

asio::awaitable<void> asio_sleeper(shared_state& s, std::size_t i) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto deadline = clock_type::now() + std::chrono::nanoseconds(s.delay_ns[i]);
  timer.expires_at(deadline);
  note_asleep(s);
  co_await timer.async_wait(asio::use_awaitable);
  s.late_ns[i] = (clock_type::now() - deadline).count();
}

asio::awaitable<void> asio_spawner(shared_state& s) {
  const auto ex = co_await asio::this_coro::executor;
  for (std::size_t i = 0; i < s.delay_ns.size(); ++i) {
    asio::co_spawn(ex, asio_sleeper(s, i), asio::detached);
    if ((i + 1) % s.batch == 0) co_await asio::post(ex, asio::use_awaitable);
  }
}

void run_asio(shared_state& s, result& r) {
  asio::io_context ctx(1);  // one thread: no locking inside
  std::snprintf(r.backend, sizeof r.backend, "epoll");
  const double hwm0 = status_bytes("VmHWM");
  const double rss0 = status_bytes("VmRSS");
  s.start = clock_type::now();
  // co_spawn queues each coroutine's start; run() starts them, in order, then runs the timers.
  if (s.batch == 0) {
    for (std::size_t i = 0; i < s.delay_ns.size(); ++i)
      asio::co_spawn(ctx, asio_sleeper(s, i), asio::detached);
  } else {
    asio::co_spawn(ctx, asio_spawner(s), asio::detached);
  }
  ctx.run();
  r.hwm_bytes = status_bytes("VmHWM") - hwm0;
  r.rss_bytes = s.rss_asleep - rss0;
}

// ---- libuv ----

// One sleeping "task": libuv has no coroutines, so a timer handle, its index and its deadline.
struct uv_sleeper {
  uv_timer_t timer;  // first: the handle's address is the sleeper's
  shared_state* s;
  std::size_t i;
  clock_type::time_point deadline;
};

void start_uv_sleeper(uv_loop_t& loop, shared_state& s, std::size_t i) {
  auto* t = new uv_sleeper{{}, &s, i, {}};
  uv_timer_init(&loop, &t->timer);
  // libuv counts in whole milliseconds from its cached loop time: refresh it, and round the
  // timeout up from there, so the timer never fires before the task's deadline.
  uv_update_time(&loop);
  const std::int64_t base_ns = static_cast<std::int64_t>(uv_now(&loop)) * 1'000'000;
  t->deadline = clock_type::now() + std::chrono::nanoseconds(s.delay_ns[i]);
  const std::int64_t wait_ns = t->deadline.time_since_epoch().count() - base_ns;
  const auto timeout_ms = static_cast<std::uint64_t>((wait_ns + 999'999) / 1'000'000);
  uv_timer_start(
      &t->timer,
      [](uv_timer_t* h) {
        auto* self = reinterpret_cast<uv_sleeper*>(h);
        self->s->late_ns[self->i] = (clock_type::now() - self->deadline).count();
        uv_close(reinterpret_cast<uv_handle_t*>(h),
                 [](uv_handle_t* c) { delete reinterpret_cast<uv_sleeper*>(c); });
      },
      timeout_ms, 0);
  note_asleep(s);
}

// --spawn-batch: an idle handle starts the next batch on every turn of the loop.
struct uv_spawner {
  uv_idle_t idle;  // first: the handle's address is the spawner's
  shared_state* s;
  std::size_t next = 0;
};

void run_libuv(shared_state& s, result& r) {
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) throw std::runtime_error("uv_loop_init failed");
  std::snprintf(r.backend, sizeof r.backend, "epoll");
  const double hwm0 = status_bytes("VmHWM");
  const double rss0 = status_bytes("VmRSS");
  s.start = clock_type::now();
  uv_spawner spawner{{}, &s};
  if (s.batch == 0) {
    for (std::size_t i = 0; i < s.delay_ns.size(); ++i) start_uv_sleeper(loop, s, i);
  } else {
    uv_idle_init(&loop, &spawner.idle);
    uv_idle_start(&spawner.idle, [](uv_idle_t* h) {
      auto* self = reinterpret_cast<uv_spawner*>(h);
      shared_state& st = *self->s;
      const std::size_t end = std::min(st.delay_ns.size(), self->next + st.batch);
      for (; self->next < end; ++self->next) start_uv_sleeper(*h->loop, st, self->next);
      if (self->next == st.delay_ns.size()) uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
    });
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  r.hwm_bytes = status_bytes("VmHWM") - hwm0;
  r.rss_bytes = s.rss_asleep - rss0;
  uv_loop_close(&loop);
}

// ---- one measurement, in a child ----

result measure(const options& o, const std::string& impl) {
  shared_state s;
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<std::int64_t> delay(0, o.max_delay_ms * 1'000'000 - 1);
  s.delay_ns.resize(o.tasks);
  for (auto& d : s.delay_ns) d = delay(rng);
  s.late_ns.assign(o.tasks, -1);  // touched: part of the baseline, not of the tasks
  s.batch = o.spawn_batch;
  result r;
  if (impl == "brigade") {
    run_brigade(s, r);
  } else if (impl == "asio") {
    run_asio(s, r);
  } else {
    run_libuv(s, r);
  }
  r.total_s = static_cast<double>(since(s.start)) / 1e9;
  r.wake_cpu_s = cpu_seconds() - s.cpu_asleep;
  r.spawn_s = std::chrono::duration<double>(s.all_asleep - s.start).count();
  if (std::count(s.late_ns.begin(), s.late_ns.end(), -1) != 0)
    throw std::runtime_error(impl + ": some task never woke up");
  if (std::any_of(s.late_ns.begin(), s.late_ns.end(), [](std::int64_t v) { return v < 0; }))
    throw std::runtime_error(impl + ": a task woke up before its deadline");
  r.late_over_50ms = static_cast<std::uint64_t>(std::count_if(
      s.late_ns.begin(), s.late_ns.end(), [](std::int64_t v) { return v > 50'000'000; }));
  auto pct = [&](double p) {
    auto at = s.late_ns.begin() + static_cast<std::ptrdiff_t>(p * static_cast<double>(o.tasks - 1));
    std::nth_element(s.late_ns.begin(), at, s.late_ns.end());
    return static_cast<double>(*at) / 1e3;
  };
  r.late_p50_us = pct(0.50);
  r.late_p99_us = pct(0.99);
  r.late_max_us = pct(1.0);
  return r;
}

result measure_in_child(const options& o, const std::string& impl) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    int code = 0;
    try {
      const result r = measure(o, impl);
      if (::write(fds[1], &r, sizeof r) != static_cast<ssize_t>(sizeof r)) code = 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "timers: %s\n", e.what());
      code = 1;
    }
    std::fflush(stderr);
    ::_exit(code);
  }
  ::close(fds[1]);
  result r;
  const ssize_t got = ::read(fds[0], &r, sizeof r);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (got != static_cast<ssize_t>(sizeof r) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(impl + ": the measurement failed");
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const std::size_t c = s.find(',');
    out.emplace_back(s.substr(0, c));
    s = c == std::string_view::npos ? std::string_view{} : s.substr(c + 1);
  }
  return out;
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "timers: %s\nusage: timers [--tasks N] [--max-delay-ms MS] [--reps K] [--seed S] "
               "[--spawn-batch N] [--impl brigade,asio,libuv]\n",
               why);
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help") {
      std::printf(
          "usage: timers [--tasks N] [--max-delay-ms MS] [--reps K] [--seed S] "
          "[--spawn-batch N] [--impl brigade,asio,libuv]\n");
      std::exit(0);
    }
    if (i + 1 >= argc) usage(("missing value after " + std::string(a)).c_str());
    const char* v = argv[++i];
    char* end = nullptr;
    const long long n = std::strtoll(v, &end, 10);
    const bool number = *v != '\0' && *end == '\0';
    if (a == "--impl") {
      o.impls = split(v);
      for (const auto& name : o.impls)
        if (name != "brigade" && name != "asio" && name != "libuv")
          usage(("unknown --impl " + name).c_str());
    } else if (!number || n <= 0) {
      usage((std::string(a) + " needs a positive whole number, got '" + v + "'").c_str());
    } else if (a == "--tasks") {
      o.tasks = static_cast<std::size_t>(n);
    } else if (a == "--max-delay-ms") {
      o.max_delay_ms = n;
    } else if (a == "--reps") {
      o.reps = static_cast<int>(n);
    } else if (a == "--spawn-batch") {
      o.spawn_batch = static_cast<std::size_t>(n);
    } else if (a == "--seed") {
      o.seed = static_cast<std::uint64_t>(n);
    } else {
      usage(("unknown flag " + std::string(a)).c_str());
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  // Runs interleave (rep 1: brigade, asio; rep 2: ...), so a noisy moment hits both alike.
  std::vector<std::vector<result>> runs(o.impls.size());
  try {
    for (int rep = 0; rep < o.reps; ++rep)
      for (std::size_t k = 0; k < o.impls.size(); ++k) {
        runs[k].push_back(measure_in_child(o, o.impls[k]));
        const result& r = runs[k].back();
        std::fprintf(stderr,
                     "timers: rep %d %s: spawn %.3f s, %.0f B/task, late p50 %.0f us p99 %.0f us "
                     "max %.0f us, %.2f M wake-ups per CPU-second\n",
                     rep + 1, o.impls[k].c_str(), r.spawn_s,
                     r.hwm_bytes / static_cast<double>(o.tasks), r.late_p50_us, r.late_p99_us,
                     r.late_max_us, static_cast<double>(o.tasks) / r.wake_cpu_s / 1e6);
      }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "timers: %s\n", e.what());
    return 1;
  }
  struct row {
    std::string impl;
    double spawn_s, total_s, bytes, rss, p50, p99, max, over, wake_rate;
    std::string backend;
  };
  std::vector<row> rows;
  for (std::size_t k = 0; k < o.impls.size(); ++k) {
    auto med = [&](auto field) {
      std::vector<double> v;
      for (const result& r : runs[k]) v.push_back(static_cast<double>(field(r)));
      return median(v);
    };
    const double n = static_cast<double>(o.tasks);
    rows.push_back({o.impls[k], med([](const result& r) { return r.spawn_s; }),
                    med([](const result& r) { return r.total_s; }),
                    med([](const result& r) { return r.hwm_bytes; }) / n,
                    med([](const result& r) { return r.rss_bytes; }) / n,
                    med([](const result& r) { return r.late_p50_us; }),
                    med([](const result& r) { return r.late_p99_us; }),
                    med([](const result& r) { return r.late_max_us; }),
                    med([](const result& r) { return r.late_over_50ms; }),
                    n / med([](const result& r) { return r.wake_cpu_s; }), runs[k][0].backend});
  }
  for (const row& r : rows)
    std::printf(
        "{\"bench\":\"timers\",\"impl\":\"%s\",\"backend\":\"%s\",\"tasks\":%zu,"
        "\"max_delay_ms\":%" PRId64 ",\"seed\":%" PRIu64
        ",\"reps\":%d,"
        "\"median_spawn_s\":%.4f,\"median_total_s\":%.4f,\"peak_bytes_per_task\":%.1f,"
        "\"rss_bytes_per_task_asleep\":%.1f,\"late_p50_us\":%.1f,\"late_p99_us\":%.1f,"
        "\"late_max_us\":%.1f,\"late_over_50ms\":%.0f,\"wakeups_per_cpu_s\":%.0f}\n",
        r.impl.c_str(), r.backend.c_str(), o.tasks, o.max_delay_ms, o.seed, o.reps, r.spawn_s,
        r.total_s, r.bytes, r.rss, r.p50, r.p99, r.max, r.over, r.wake_rate);
  std::printf(
      "\n| impl | spawn (s) | peak B/task | late p50 (ms) | late p99 (ms) | late max (ms) "
      "| tasks > 50 ms late | M wake-ups / CPU-s |\n"
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const row& r : rows)
    std::printf("| %s | %.3f | %.0f | %.2f | %.2f | %.2f | %.0f | %.2f |\n", r.impl.c_str(),
                r.spawn_s, r.bytes, r.p50 / 1e3, r.p99 / 1e3, r.max / 1e3, r.over,
                r.wake_rate / 1e6);
  return 0;
}
