// brigade::timeout — give a task a deadline.
#pragma once

#include <brigade/core/errors.hpp>
#include <brigade/core/task.hpp>
#include <brigade/core/when_all.hpp>
#include <brigade/io/timer.hpp>

#include <chrono>
#include <string>
#include <utility>

namespace brigade {

/// Runs t with a deadline on the current context's clock (an event loop's, or virtual time
/// under brigade::sim::run). If t finishes first, its result (or exception) is returned; if
/// the deadline passes first, t is asked to stop (its stop token), awaited, and
/// brigade::timed_out is thrown.
///
/// Cancellation: t must honour its stop token for the timeout to take effect promptly
/// (brigade's own awaitables all do). Errors: std::logic_error when neither on an event loop
/// nor in a simulation.
template <class T, class Rep, class Period>
task<T> timeout(std::chrono::duration<Rep, Period> limit, task<T> t) {
  const auto deadline = brigade::now() + std::chrono::ceil<std::chrono::nanoseconds>(limit);
  auto timer = [](std::chrono::steady_clock::time_point at) -> task<void> {
    co_await sleep_until(at);
  };
  auto winner = co_await when_any(std::move(t), timer(deadline));
  if (winner.index() == 1) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(limit).count();
    throw timed_out("brigade::timeout: the task did not finish within " + std::to_string(ms) +
                    " ms");
  }
  if constexpr (!std::is_void_v<T>) co_return std::move(std::get<0>(winner));
}

}  // namespace brigade
