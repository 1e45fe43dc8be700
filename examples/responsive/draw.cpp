// The status line: a clock, the frame counter, the progress bar and what the work is doing.
#include "app.hpp"

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <ctime>

namespace responsive {

void app::draw() {
  const std::int64_t t = brigade::event_loop::now_ns();
  report_.max_frame_gap_ns = std::max(report_.max_frame_gap_ns, t - last_frame_ns_);
  last_frame_ns_ = t;
  ++report_.frames;

  const auto wall = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(wall);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch());
  std::tm local{};
  ::localtime_r(&secs, &local);
  char clock[16];
  std::strftime(clock, sizeof clock, "%H:%M:%S", &local);

  // relaxed: see rows_done_; a count a few rows behind only draws a shorter bar.
  const std::uint64_t done = rows_done_.load(std::memory_order_relaxed);
  const auto total = static_cast<std::uint64_t>(opt_.size);
  const std::uint64_t percent = done * 100 / std::max<std::uint64_t>(total, 1);
  const int filled = static_cast<int>(percent / 5);  // a bar of 20
  char line[256];
  const int n = std::snprintf(line, sizeof line, "\r\x1b[2K%s.%03d frame %llu [%.*s%.*s] %3d%% %s",
                              clock, static_cast<int>(ms.count() % 1000),
                              static_cast<unsigned long long>(report_.frames), filled,
                              "####################", 20 - filled, "....................",
                              static_cast<int>(percent), status_.c_str());
  // One line, never wrapped: "\r" could not go back to its start.
  const int visible = std::min(n, static_cast<int>(sizeof line) - 1) - 5;  // 5: "\r\x1b[2K"
  line_.assign(line, static_cast<std::size_t>(5 + std::clamp(visible, 0, opt_.columns - 1)));
  if (!opt_.draw) return;  // not a terminal: the frame is made, not shown
  [[maybe_unused]] const auto w = ::write(STDOUT_FILENO, line_.data(), line_.size());
}

}  // namespace responsive
