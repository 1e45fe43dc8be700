// Tracing a program that does not end: ring buffers keep each thread's last events, flush()
// writes while recording goes on (also while workers record), and a signal does the same.
#include <brigade/pool/join.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/trace/trace.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

namespace {

namespace tr = brigade::trace;
using namespace std::chrono_literals;

std::string temp_path(const std::string& name) {
  return "/tmp/brigade_trace_ring_" + std::to_string(::getpid()) + "_" + name + ".json";
}

bool has_label(const tr::trace_file& t, const std::string& label) {
  for (const tr::trace_segment& s : t.segments)
    if (t.labels.at(s.label) == label) return true;
  return false;
}

void forks(brigade::pool& p, int n, const char* label) {
  p.run(tr::named(label, [n] {
    for (int i = 0; i < n; ++i) brigade::join([] {}, [] {});
  }));
}

TEST(trace_ring, keeps_the_last_events_of_each_thread) {
  brigade::pool p(1);  // one worker records every fork: its ring wraps many times
  tr::start({.ring = true, .events_per_thread = 256, .fork_depth = {}});
  forks(p, 5000, "early");
  forks(p, 200, "late");  // more events than the ring holds
  const std::string path = temp_path("ring");
  tr::stop(path);
  const tr::trace_file t = tr::read_trace_file(path);
  std::remove(path.c_str());
  EXPECT_TRUE(has_label(t, "late"));    // the recent past is kept ...
  EXPECT_FALSE(has_label(t, "early"));  // ... the distant past was overwritten
  EXPECT_GT(t.dropped_events, 0u);      // and counted
  EXPECT_LE(t.segments.size(), 2u * 256);
}

TEST(trace_ring, linear_mode_keeps_the_first_events) {
  brigade::pool p(1);
  tr::start({.ring = false, .events_per_thread = 256, .fork_depth = {}});
  forks(p, 5000, "early");
  forks(p, 20, "late");
  const std::string path = temp_path("linear");
  tr::stop(path);
  const tr::trace_file t = tr::read_trace_file(path);
  std::remove(path.c_str());
  EXPECT_TRUE(has_label(t, "early"));
  EXPECT_FALSE(has_label(t, "late"));
  EXPECT_GT(t.dropped_events, 0u);
}

TEST(trace_flush, writes_what_is_recorded_and_goes_on) {
  brigade::pool p(2);
  tr::start();
  forks(p, 10, "first");
  const std::string one = temp_path("flush1"), two = temp_path("flush2");
  EXPECT_GT(tr::flush(one), 0u);
  forks(p, 10, "second");
  tr::flush(two);
  tr::stop(temp_path("flush3"));
  const tr::trace_file a = tr::read_trace_file(one), b = tr::read_trace_file(two);
  EXPECT_TRUE(has_label(a, "first"));
  EXPECT_FALSE(has_label(a, "second"));
  EXPECT_TRUE(has_label(b, "first"));
  EXPECT_TRUE(has_label(b, "second"));
  for (const std::string& f : {one, two, temp_path("flush3")}) std::remove(f.c_str());
  EXPECT_THROW(tr::flush(one), std::logic_error);  // not recording any more
}

// Workers fork continuously (overwriting their rings) while the main thread flushes: every
// file reads back (a torn event would break its segment pairs or ids); TSan sees no race.
TEST(trace_flush, while_workers_record_into_rings) {
  brigade::pool p(2);
  tr::start({.ring = true, .events_per_thread = 512, .fork_depth = {}});
  std::atomic<bool> done{false};
  std::thread busy([&] {
    while (!done.load()) forks(p, 200, "busy");
  });
  const std::string path = temp_path("concurrent");
  for (int i = 0; i < 30; ++i) {
    tr::flush(path);
    const tr::trace_file t = tr::read_trace_file(path);
    EXPECT_LE(t.segments.size(), 4u * 512);
  }
  done.store(true);
  busy.join();
  tr::stop(path);
  std::remove(path.c_str());
}

TEST(trace_flush, on_a_signal) {
  brigade::pool p(1);
  const std::string path = temp_path("signal");
  std::remove(path.c_str());
  tr::start();
  forks(p, 10, "before the signal");
  tr::flush_on_signal(SIGUSR2, path);
  ASSERT_EQ(std::raise(SIGUSR2), 0);
  // The handler wakes a thread of brigade's, which writes the file: wait for it to appear.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  tr::trace_file t;
  bool read = false;
  while (!read && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
    try {
      t = tr::read_trace_file(path);
      read = true;
    } catch (const std::exception&) {  // not there yet, or half written
    }
  }
  ASSERT_TRUE(read) << path << " was not written after SIGUSR2";
  EXPECT_TRUE(has_label(t, "before the signal"));
  tr::stop(temp_path("signal_end"));
  std::remove(path.c_str());
  std::remove(temp_path("signal_end").c_str());
  EXPECT_THROW(tr::flush_on_signal(0, path), std::invalid_argument);
}

}  // namespace
