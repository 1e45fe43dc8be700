// brigade::timeout — give a task a deadline.
#pragma once

#include <brigade/core/errors.hpp>
#include <brigade/core/task.hpp>
#include <brigade/core/when_all.hpp>
#include <brigade/io/timer.hpp>

#include <chrono>
#include <concepts>
#include <string>
#include <type_traits>
#include <utility>

namespace brigade {
namespace detail {

template <class T>
inline constexpr bool is_task_v = false;
template <class T>
inline constexpr bool is_task_v<task<T>> = true;

/// The awaiter `co_await a` uses for an awaitable of type A (its operator co_await, or A).
template <class A>
decltype(auto) awaiter_of(A&& a) {
  if constexpr (requires { std::forward<A>(a).operator co_await(); }) {
    return std::forward<A>(a).operator co_await();
  } else {
    return std::forward<A>(a);
  }
}

/// What `co_await a` gives for an awaitable of type A.
template <class A>
using await_result_t = decltype(awaiter_of(std::declval<A>()).await_resume());

/// Wraps an awaitable (moved into the frame) in a task that awaits it: the task inherits its
/// awaiter's stop token, and so does the awaitable.
template <class A>
task<await_result_t<A>> as_task(A a) {
  co_return co_await std::move(a);
}

}  // namespace detail

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
  // Saturating: a limit too long for the clock (hours::max()) is a deadline that never comes.
  const auto deadline = std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::nanoseconds(detail::after_ns(detail::context_now_ns(), limit))));
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

/// timeout() for any awaitable that honours its stop token, e.g.
/// `co_await brigade::timeout(50ms, ch.receive())`: the awaitable is moved into a task (so it
/// must be movable before it is awaited) and given the deadline as above.
template <class Awaitable, class Rep, class Period>
requires(!detail::is_task_v<std::remove_cvref_t<Awaitable>> &&
         std::move_constructible<std::remove_cvref_t<Awaitable>>)
    task<detail::await_result_t<std::remove_cvref_t<Awaitable>>> timeout(
        std::chrono::duration<Rep, Period> limit, Awaitable&& a) {
  return timeout(limit,
                 detail::as_task(std::remove_cvref_t<Awaitable>(std::forward<Awaitable>(a))));
}

}  // namespace brigade
