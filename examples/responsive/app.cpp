// The responsive application's coroutines: the frame timer, the key reader, the work.
#include "app.hpp"

#include "mandelbrot.hpp"

#include <brigade/core/errors.hpp>
#include <brigade/io/offload.hpp>
#include <brigade/io/tcp.hpp>
#include <brigade/io/timer.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>

namespace responsive {
namespace {

std::int64_t now() noexcept {
  return brigade::event_loop::now_ns();
}

// A terminal, a pipe or a socket can be waited for; a file or /dev/null never blocks a read
// (and epoll refuses them).
bool stdin_can_wait() {
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) != 0) return false;
  return ::isatty(STDIN_FILENO) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
}

}  // namespace

app::app(brigade::event_loop& loop, app_options o)
    : loop_(loop), opt_(o), clock_(STDIN_FILENO), last_frame_ns_(now()) {}

brigade::task<void> app::run() {
  brigade::scope ui;
  ui.spawn(frames());
  std::exception_ptr failed;  // kept until the scopes are joined: none may go with children
  try {
    co_await keys();
  } catch (...) {
    failed = std::current_exception();
  }
  if (running_ && !work_stop_.stop_requested()) cancel_ns_ = now();
  work_stop_.request_stop();
  co_await work_scope_.join();
  ui.request_stop();  // the frame timer's sleep ends with operation_cancelled
  co_await ui.join();
  draw();
  if (failed) std::rethrow_exception(failed);
}

brigade::task<void> app::frames() {
  const auto period = static_cast<std::int64_t>(1e9 / opt_.fps);
  std::int64_t next = now() + period;
  for (;;) {
    co_await brigade::sleep_for(loop_, std::chrono::nanoseconds(next - now()));
    draw();
    next += period;
    if (next < now()) next = now() + period;  // after a stall, one frame, not a burst
  }
}

brigade::task<void> app::keys() {
  // Only for waiting on the loop: brigade has no public wrapper for a terminal or a pipe, and
  // tcp_stream's wait_readable is a plain readiness wait on its descriptor, here a duplicate of
  // fd 0. Bytes are read from fd 0 itself, which stays blocking (its flags are shared with the
  // shell), so a read happens only once the loop says it will not block.
  brigade::tcp_stream in(loop_, ::dup(STDIN_FILENO));
  const bool can_wait = stdin_can_wait();
  char buf[64];
  for (;;) {
    if (can_wait) co_await in.wait_readable();
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    const std::int64_t arrived = clock_.take(now());
    bool quit = n <= 0;  // the end of the input (or an error) is q
    for (ssize_t i = 0; i < n && !quit; ++i) quit = on_key(buf[i]);
    draw();
    report_.keys += n > 0 ? static_cast<std::uint64_t>(n) : 0;
    report_.max_key_latency_ns = std::max(report_.max_key_latency_ns, now() - arrived);
    if (quit) co_return;
  }
}

bool app::on_key(char key) {
  if (key == 'q' || key == 'Q' || key == '\x04') return true;  // \x04: Ctrl-D
  if ((key == 's' || key == 'S') && !running_) {
    running_ = true;
    work_stop_ = std::stop_source();
    rows_done_.store(0, std::memory_order_relaxed);  // no run is in flight to race with
    status_ = opt_.inline_work
                  ? "running inline, on the UI thread"
                  : "running on the pool (" + std::to_string(opt_.workers) + " workers)";
    work_scope_.spawn(brigade::with_stop_token(work(), work_stop_.get_token()));
  } else if ((key == 'c' || key == 'C') && running_ && !work_stop_.stop_requested()) {
    cancel_ns_ = now();
    work_stop_.request_stop();
    status_ = "cancelling";
  }
  return false;
}

brigade::task<void> app::work() {
  co_await loop_.schedule();  // let the key reader show "running" first
  const std::int64_t start = now();
  const std::stop_token token = co_await brigade::this_task::stop_token;
  mandelbrot_result r;
  try {
    if (opt_.inline_work) {
      r = mandelbrot_serial(opt_.size, token, rows_done_);
    } else {
      r = co_await brigade::offload([this](std::stop_token t) {
        return mandelbrot_parallel(opt_.size, std::move(t), rows_done_);
      });
    }
  } catch (const brigade::operation_cancelled&) {  // cancelled before a worker took it
  }
  const std::int64_t end = now();
  report_.work_ns += end - start;
  ++report_.runs;
  char text[128];
  if (r.complete) {
    report_.outcome = "done";
    report_.in_set = r.in_set;
    std::snprintf(text, sizeof text, "done in %.2f s: %llu points in the set",
                  static_cast<double>(end - start) / 1e9,
                  static_cast<unsigned long long>(r.in_set));
  } else {
    report_.outcome = "cancelled";
    report_.max_cancel_ns = std::max(report_.max_cancel_ns, end - cancel_ns_);
    std::snprintf(text, sizeof text, "cancelled after %.2f s (stopped %.1f ms after c)",
                  static_cast<double>(end - start) / 1e9,
                  static_cast<double>(end - cancel_ns_) / 1e6);
  }
  status_ = text;
  running_ = false;
  draw();
}

}  // namespace responsive
