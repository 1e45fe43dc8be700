// Task frames handed between threads (core/detail/frame_cache.hpp): frames of four sizes are
// made on some threads and destroyed or run on others, threads end while frames they made are
// alive, and at the end every page has gone back. A block handed out twice would show as a
// frame whose parameters changed. Prints its seed; sizes scale with BRIGADE_STRESS_SCALE.
#include <brigade/core/detail/frame_cache.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/core/task.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <array>
#include <coroutine>
#include <cstddef>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace {

using brigade::testing::scaled;
using brigade::testing::test_seed;

// A frame holding N copies of v (the parameter is copied into the frame); the task returns
// their sum, v * N, unless another frame has written over them.
template <std::size_t N>
brigade::task<long> sized(std::array<long, N> values) {
  co_await std::suspend_never{};
  long sum = 0;
  for (long v : values) sum += v;
  co_return sum;
}

struct made_frame {
  brigade::task<long> task;
  long expected;
};

made_frame make(std::mt19937& rng) {
  const long v = static_cast<long>(rng() % 1000) + 1;
  switch (rng() % 4) {
    case 0:
      return {sized(std::array<long, 2>{v, v}), 2 * v};
    case 1: {
      std::array<long, 20> a;
      a.fill(v);
      return {sized(a), 20 * v};
    }
    case 2: {
      std::array<long, 60> a;
      a.fill(v);
      return {sized(a), 60 * v};
    }
    default: {
      std::array<long, 200> a;
      a.fill(v);
      return {sized(a), 200 * v};
    }
  }
}

// A shared heap of frames: each thread adds frames it makes and takes random ones to run (a
// frame that ends on that thread) or to destroy unstarted.
struct exchange {
  std::mutex lock;
  std::vector<made_frame> frames;
};

void work(exchange& x, unsigned seed, std::size_t steps) {
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < steps; ++i) {
    if (rng() % 2 == 0) {
      made_frame f = make(rng);
      std::lock_guard<std::mutex> hold(x.lock);
      x.frames.push_back(std::move(f));
      continue;
    }
    made_frame f;
    {
      std::lock_guard<std::mutex> hold(x.lock);
      if (x.frames.empty()) continue;
      const std::size_t at = rng() % x.frames.size();
      std::swap(x.frames[at], x.frames.back());
      f = std::move(x.frames.back());
      x.frames.pop_back();
    }
    if (rng() % 2 == 0) {
      ASSERT_EQ(brigade::sync_wait(std::move(f.task)), f.expected) << "seed " << seed;
    }
    // Else destroyed here, unstarted.
  }
}

TEST(frame_pages_stress, frames_cross_threads_and_outlive_their_makers_without_loss) {
  const unsigned seed = test_seed(71);
  std::mt19937 rng(seed);
  const std::size_t before = brigade::detail::frame_pages_in_use();
  for (std::size_t round = 0; round < scaled(20); ++round) {
    exchange x;
    // Waves of short-lived threads: each wave's threads end while frames they made sit in the
    // exchange, to be run or destroyed by the next wave's.
    for (int wave = 0; wave < 4; ++wave) {
      const int threads = 2 + static_cast<int>(rng() % 3);
      std::vector<std::thread> ts;
      for (int t = 0; t < threads; ++t)
        ts.emplace_back(work, std::ref(x), static_cast<unsigned>(rng()), std::size_t{3000});
      for (auto& t : ts) t.join();
    }
    // What is left runs here, on a thread that made none of it.
    for (made_frame& f : x.frames)
      ASSERT_EQ(brigade::sync_wait(std::move(f.task)), f.expected) << "seed " << seed;
    x.frames.clear();
    // Every page whose thread has ended is back; of this thread's, at most the page each size
    // class allocates from remains (the four frame sizes).
    ASSERT_LE(brigade::detail::frame_pages_in_use(), before + 4)
        << "seed " << seed << " round " << round;
  }
}

}  // namespace
