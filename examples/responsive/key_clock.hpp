// key_clock: when did a key really arrive? Stamped by a thread of its own, so that the latency
// counts the time the loop could not look (under --inline, the whole computation).
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

namespace responsive {

/// Watches fd with poll() from its own thread and stamps the moment it becomes readable; the
/// loop, after reading, takes the stamp (and so re-arms the watch). The watcher never reads.
///
/// Thread safety: take() from one thread (the loop); construction and destruction elsewhere.
class key_clock {
 public:
  explicit key_clock(int fd);
  ~key_clock();  // stops and joins the watcher
  key_clock(const key_clock&) = delete;
  key_clock& operator=(const key_clock&) = delete;

  /// The arrival time (event_loop::now_ns) of what the loop just read at read_ns: the stamp,
  /// or read_ns if the watcher has not stamped it yet (the loop was the quicker).
  std::int64_t take(std::int64_t read_ns);

 private:
  void watch();

  int fd_;
  int wake_[2] = {-1, -1};  // a pipe: one byte stops the watcher's poll()
  // 0: nothing stamped; > 0: an arrival the loop has not taken; -1: stopping. A plain time,
  // publishing no other data: seq_cst by default, the cost is nothing at key rates.
  std::atomic<std::int64_t> stamp_{0};
  std::thread thread_;
};

}  // namespace responsive
