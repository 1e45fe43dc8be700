// Where task frames come from (core/detail/frame_cache.hpp): a frame reuses the block the last
// one of its size freed on the thread; frames may end on another thread than the one that made
// them, or after that thread has ended, and every page goes back once its frames have ended;
// large frames bypass the pages; under AddressSanitizer nothing is reused.
#include <brigade/core/detail/frame_cache.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/core/task.hpp>

#include "support/sanitizers.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
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

// A frame of more than the pages' largest block (2 KiB): a lazy task's parameters are copied into
// its frame.
brigade::task<long> big_frame(std::array<long, 1024> values) {
  (void)co_await frame_address{};
  co_return std::accumulate(values.begin(), values.end(), 0L);
}

// A frame of nearly 2 KiB (its parameter), the pages' largest class (for the fork test, which
// ThreadSanitizer builds leave out).
[[maybe_unused]] brigade::task<long> paged_frame(std::array<char, 1900> bytes) {
  co_return std::accumulate(bytes.begin(), bytes.end(), 0L);
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

// A trim gives every page with no frame back and allocates from none of the others; frames work
// after it.
TEST(frame_cache, a_trim_gives_back_every_page_without_frames) {
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

TEST(frame_cache, frames_larger_than_two_kibibytes_bypass_it) {
  std::array<long, 1024> values;
  std::iota(values.begin(), values.end(), 7L);
  const long expected = std::accumulate(values.begin(), values.end(), 0L);
  EXPECT_EQ(brigade::sync_wait(big_frame(values)), expected);  // anything else is on a page now
  const std::size_t pages = brigade::detail::frame_pages_in_use();
  std::vector<brigade::task<long>> alive;  // 800 KiB of frames: 13 pages, were they on pages
  for (int i = 0; i < 100; ++i) alive.push_back(big_frame(values));
  EXPECT_EQ(brigade::detail::frame_pages_in_use(), pages);
  for (auto& t : alive) EXPECT_EQ(brigade::sync_wait(std::move(t)), expected);
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
  again.join();  // its pages are given back at its end
}

// Frames made and not started: each holds its block until the task is destroyed.
std::vector<brigade::task<void*>> make_frames(int n) {
  std::vector<brigade::task<void*>> frames;
  frames.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) frames.push_back(where_am_i(i));
  return frames;
}

constexpr int many = 5000;  // several pages' worth of frames

// Every page goes back to the pool once its frames end: memory follows the frames alive.
TEST(frame_cache, pages_go_back_when_their_frames_end) {
  const std::size_t before = brigade::detail::frame_pages_in_use();
  {
    auto frames = make_frames(many);
    if constexpr (brigade::detail::frame_cache_on) {
      EXPECT_GE(brigade::detail::frame_pages_in_use(), before + 2);
    }
    // Every other one first, then the rest: pages empty out in no particular order.
    for (std::size_t i = 0; i < frames.size(); i += 2) frames[i] = {};
  }
  // The page allocated from stays with the thread; every other page is back.
  EXPECT_LE(brigade::detail::frame_pages_in_use(), before + 1);
}

// Frames made here and destroyed on another thread, round after round: their blocks come back to
// this thread's pages and are used again, so the pages in use do not grow with the rounds.
TEST(frame_cache, blocks_freed_on_another_thread_are_used_again_by_their_owner) {
  const std::size_t before = brigade::detail::frame_pages_in_use();
  std::size_t after_first_round = 0;
  for (int round = 0; round < 20; ++round) {
    auto frames = make_frames(many);
    std::thread other([&] { frames.clear(); });
    other.join();
    if (round == 0) after_first_round = brigade::detail::frame_pages_in_use();
  }
  if constexpr (brigade::detail::frame_cache_on) {
    // The first round's pages hold all the blocks later rounds need (the slow path finds the
    // freed blocks a few pages at a time: allow it one round's worth of slack).
    const std::size_t one_round = after_first_round - before;
    EXPECT_LE(brigade::detail::frame_pages_in_use(), after_first_round + one_round);
  }
  EXPECT_NE(brigade::sync_wait(where_am_i(1)), nullptr);
}

// A thread that ends while frames it made are alive: the frames are destroyed on this thread
// afterwards, and the ended thread's pages go back with the last of them.
TEST(frame_cache, an_ended_threads_pages_go_back_with_its_last_frames) {
  const std::size_t before = brigade::detail::frame_pages_in_use();
  std::vector<brigade::task<void*>> frames;
  std::thread maker([&] { frames = make_frames(many); });
  maker.join();
  if constexpr (brigade::detail::frame_cache_on) {
    EXPECT_GE(brigade::detail::frame_pages_in_use(), before + 2);
  }
  // Started here, they run and end on this thread: their blocks go back to abandoned pages.
  for (std::size_t i = 0; i < frames.size(); i += 3)
    EXPECT_NE(brigade::sync_wait(std::move(frames[i])), nullptr);
  frames.clear();
  EXPECT_EQ(brigade::detail::frame_pages_in_use(), before);
}

// fork() while other threads take and give back pages: the child makes frames (it needs new
// pages) and exits. Without the fork handlers a child forked while another thread held the pool's
// lock would wait for it forever. Not under ThreadSanitizer, which does not support a child of a
// multi-threaded process going on (it may hang in its own locks), nor where the pages are off.
TEST(frame_cache, a_child_forked_while_other_threads_take_pages_can_make_frames) {
#ifdef BRIGADE_TSAN
  GTEST_SKIP() << "ThreadSanitizer does not support fork() in a multi-threaded process";
#else
  if constexpr (!brigade::detail::frame_cache_on) {
    // Under AddressSanitizer frames come from its allocator, whose child then hangs the same way
    // now and then: nothing of ours to check.
    GTEST_SKIP() << "frames come from operator new in this build (AddressSanitizer)";
  }
  std::atomic<bool> stop{false};
  auto churn = [&] {
    // Frames of nearly the largest class, 31 to a page: the threads take and give back pages
    // all the time.
    std::vector<brigade::task<long>> frames;
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 200; ++i) frames.push_back(paged_frame({}));
      frames.clear();
    }
  };
  std::thread a(churn), b(churn);
  int hung = 0, failed = 0;
  for (int i = 0; i < 300; ++i) {
    const pid_t child = ::fork();
    if (child == 0) {
      const bool ok = make_frames(many).size() == static_cast<std::size_t>(many) &&
                      brigade::sync_wait(where_am_i(1)) != nullptr;
      ::_exit(ok ? 0 : 1);
    }
    ASSERT_GT(child, 0);
    int status = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    pid_t done = 0;
    while ((done = ::waitpid(child, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (done == 0) {
      ++hung;
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      ++failed;
    }
    if (hung != 0) break;
  }
  stop = true;
  a.join();
  b.join();
  EXPECT_EQ(hung, 0) << "a forked child never finished making frames";
  EXPECT_EQ(failed, 0);
#endif
}

}  // namespace
