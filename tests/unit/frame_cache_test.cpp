// The per-thread cache of task frames (core/detail/frame_cache.hpp): a frame reuses the block
// the last one of its size freed on the thread, frames may end on another thread than the one
// that made them, large frames bypass the cache, and under AddressSanitizer nothing is reused.
#include <brigade/core/detail/frame_cache.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/core/task.hpp>

#include <gtest/gtest.h>

#include <array>
#include <coroutine>
#include <cstddef>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

namespace {

// Resumes at once, telling the coroutine where its frame is.
struct frame_address {
  void* address = nullptr;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    address = h.address();
    return false;  // go on without suspending
  }
  void* await_resume() const noexcept { return address; }
};

brigade::task<void*> where_am_i(int salt) {
  void* at = co_await frame_address{};
  co_return salt >= 0 ? at : nullptr;
}

// A frame of more than the cache's largest size (4 KiB): the array lives across a suspension.
brigade::task<long> big_frame(int n) {
  std::array<long, 1024> values{};
  std::iota(values.begin(), values.end(), n);
  (void)co_await frame_address{};
  co_return std::accumulate(values.begin(), values.end(), 0L);
}

TEST(frame_cache, a_frame_reuses_the_block_the_last_one_of_its_size_freed) {
  void* first = brigade::sync_wait(where_am_i(1));
  void* second = brigade::sync_wait(where_am_i(2));
  ASSERT_NE(first, nullptr);
  if constexpr (brigade::detail::frame_cache_on) {
    EXPECT_EQ(first, second);  // the first frame's block, from this thread's cache
  } else {
    EXPECT_NE(first, second);  // AddressSanitizer holds freed blocks back (its quarantine)
  }
}

// A trim gives every cached block back to operator delete (tests/faults checks that the next
// frame then comes from operator new: it makes that allocation fail); frames work after it.
TEST(frame_cache, a_trim_gives_every_cached_block_back) {
  ASSERT_NE(brigade::sync_wait(where_am_i(1)), nullptr);  // its block is freed into the cache
  if constexpr (brigade::detail::frame_cache_on) {
    EXPECT_GT(brigade::detail::cached_frame_bytes(), 0U);
  } else {
    EXPECT_EQ(brigade::detail::cached_frame_bytes(), 0U);
  }
  brigade::detail::trim_frame_cache();
  EXPECT_EQ(brigade::detail::cached_frame_bytes(), 0U);
  EXPECT_NE(brigade::sync_wait(where_am_i(2)), nullptr);
}

TEST(frame_cache, frames_larger_than_four_kibibytes_bypass_it) {
  long expected = 0;
  for (int i = 0; i < 1024; ++i) expected += 7 + i;
  for (int round = 0; round < 100; ++round) EXPECT_EQ(brigade::sync_wait(big_frame(7)), expected);
}

// Frames made on one thread and destroyed on another, both ways, many times: every result right,
// and (under ThreadSanitizer) no race between a block's old and new owner.
TEST(frame_cache, frames_may_end_on_another_thread_than_the_one_that_made_them) {
  constexpr int rounds = 2000;
  std::vector<brigade::task<void*>> made_here;
  made_here.reserve(rounds);
  for (int i = 0; i < rounds; ++i) made_here.push_back(where_am_i(i));
  std::vector<brigade::task<void*>> made_there;
  std::thread other([&] {
    // Runs (and so frees) the frames made on the main thread; makes frames for it.
    for (auto& t : made_here) EXPECT_NE(brigade::sync_wait(std::move(t)), nullptr);
    made_there.reserve(rounds);
    for (int i = 0; i < rounds; ++i) made_there.push_back(where_am_i(i));
  });
  other.join();
  for (auto& t : made_there) EXPECT_NE(brigade::sync_wait(std::move(t)), nullptr);
  // Both threads' caches now hold blocks of the other's; frames go on working on both.
  for (int i = 0; i < rounds; ++i) EXPECT_NE(brigade::sync_wait(where_am_i(i)), nullptr);
  std::thread again([] {
    for (int i = 0; i < rounds; ++i) EXPECT_NE(brigade::sync_wait(where_am_i(i)), nullptr);
  });
  again.join();  // its cache is given back at its end (LeakSanitizer would see a block lost)
}

}  // namespace
