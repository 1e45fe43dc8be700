// The responsive application: frames, keys and the work, all coroutines on one event loop.
#pragma once

#include "key_clock.hpp"

#include <brigade/core/scope.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/event_loop.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>

namespace responsive {

struct app_options {
  int size = 4000;           ///< the Mandelbrot grid is size x size points
  double fps = 60;           ///< frames per second the timer asks for
  bool inline_work = false;  ///< --inline: the work runs on the loop thread
  bool draw = true;          ///< write frames to stdout (false when it is not a terminal)
  std::size_t workers = 0;   ///< pool size, for the status line
  int columns = 80;          ///< the terminal's width: the status line is cut to fit
};

/// What the run measured, for the summary and --json.
struct app_report {
  std::uint64_t frames = 0;
  std::uint64_t keys = 0;
  std::int64_t max_frame_gap_ns = 0;    ///< the longest time between two frames
  std::int64_t max_key_latency_ns = 0;  ///< key arrival (key_clock) to the frame showing it
  std::int64_t work_ns = 0;             ///< time the work ran, all runs together
  std::int64_t max_cancel_ns = -1;      ///< `c` to the work's end, worst run (-1: none)
  int runs = 0;
  std::string outcome = "none";         ///< the last run's: none, done, cancelled
  std::optional<std::uint64_t> in_set;  ///< the last complete run's result
};

/// Runs on one event loop's thread. The frame timer draws the status line; the key reader
/// handles s (start), c (cancel), q or Ctrl-D (quit) and draws at once; the work runs on the pool
/// via brigade::offload (or inline) under a stop token of its own, which `c` requests.
class app {
 public:
  app(brigade::event_loop& loop, app_options o);

  /// Until q, or the end of the input; the running work is cancelled and awaited first.
  brigade::task<void> run();
  const app_report& report() const noexcept { return report_; }

 private:
  brigade::task<void> frames();
  brigade::task<void> keys();
  brigade::task<void> work();
  bool on_key(char key);  // true: quit
  void draw();

  brigade::event_loop& loop_;
  app_options opt_;
  key_clock clock_;
  app_report report_;
  std::int64_t last_frame_ns_ = 0;
  bool running_ = false;
  std::stop_source work_stop_;
  std::int64_t cancel_ns_ = 0;  // when `c` asked
  // Rows finished by the current run: workers add, the loop reads for the progress bar
  // (relaxed on both sides, see mandelbrot.cpp: only a count, no data is published by it).
  std::atomic<std::uint64_t> rows_done_{0};
  std::string status_ = "idle: s starts the work, c cancels it, q quits";
  std::string line_;
  brigade::scope work_scope_;
};

}  // namespace responsive
