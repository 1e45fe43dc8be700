// The executor flavours the core behaviours run on, from one list: inline (the awaiting thread
// alone), an event loop, a pool of one worker, a pool of four (children finish concurrently
// on different workers), and the simulator (one thread, the order chosen by a seed).
#pragma once

#include <brigade/core/sync_wait.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/sim/sim.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace brigade::testing {

enum class executor { inline_thread, loop, pool1, pool4, sim };

inline std::vector<executor> executors() {
  return {executor::inline_thread, executor::loop, executor::pool1, executor::pool4, executor::sim};
}

/// The flavours where a waiting coroutine lets others run (all but inline).
inline std::vector<executor> interleaving_executors() {
  return {executor::loop, executor::pool1, executor::pool4, executor::sim};
}

inline std::string executor_name(const ::testing::TestParamInfo<executor>& info) {
  switch (info.param) {
    case executor::inline_thread:
      return "inline";
    case executor::loop:
      return "loop";
    case executor::pool1:
      return "pool1";
    case executor::pool4:
      return "pool4";
    case executor::sim:
      return "sim";
  }
  return "unknown";
}

/// A fixture that runs a task to completion on the parameter's executor, and gives the task
/// a suspension point that resumes on that executor (`co_await hop()`).
class on_executor : public ::testing::TestWithParam<executor> {
 protected:
  void SetUp() override {
    switch (GetParam()) {
      case executor::loop:
        loop_ = std::make_unique<event_loop>();
        break;
      case executor::pool1:
        pool_ = std::make_unique<pool>(1);
        break;
      case executor::pool4:
        pool_ = std::make_unique<pool>(4);
        break;
      default:
        break;
    }
  }

  /// Runs t on the executor from the test's thread and returns its value (or rethrows).
  template <class T>
  T run(task<T> t) {
    switch (GetParam()) {
      case executor::loop:
        return loop_->run_until(std::move(t));
      case executor::pool1:
      case executor::pool4:
        return sync_wait(start_on_pool(std::move(t)));
      case executor::sim:
        return run_in_sim(std::move(t));
      case executor::inline_thread:
        break;
    }
    return sync_wait(std::move(t));
  }

  /// A suspension that resumes on the executor: behind what is queued there (loop, pool), at a
  /// point the seed chooses (sim), or at once (inline: there is nobody else).
  task<void> hop() {
    switch (GetParam()) {
      case executor::loop:
        co_await loop_->schedule();
        break;
      case executor::pool1:
      case executor::pool4:
        co_await pool_->schedule();
        break;
      case executor::sim:
        co_await brigade::yield();
        break;
      case executor::inline_thread:
        break;
    }
  }

 private:
  template <class T>
  task<T> start_on_pool(task<T> t) {
    co_await pool_->schedule();
    co_return co_await std::move(t);
  }

  template <class T>
  T run_in_sim(task<T> t) {
    if constexpr (std::is_void_v<T>) {
      sim::run(1, [&]() -> task<> { co_await std::move(t); });
    } else {
      std::optional<T> out;
      sim::run(1, [&]() -> task<> { out.emplace(co_await std::move(t)); });
      return std::move(*out);
    }
  }

  std::unique_ptr<event_loop> loop_;
  std::unique_ptr<pool> pool_;
};

}  // namespace brigade::testing

#define BRIGADE_INSTANTIATE_ON_EXECUTORS(suite)                                                  \
  INSTANTIATE_TEST_SUITE_P(executors, suite, ::testing::ValuesIn(brigade::testing::executors()), \
                           brigade::testing::executor_name)
