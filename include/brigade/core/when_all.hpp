// brigade::when_all and when_any — wait for several tasks started concurrently.
//
// when_all(a, b, c) runs the tasks concurrently and gives all their results; when_any gives
// the first one to finish and cancels the rest. Both are structured: they return only after
// every child has finished, so no child outlives the call.
#pragma once

#include <brigade/core/detail/fan_in.hpp>
#include <brigade/core/task.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace brigade {

/// Runs every task concurrently and returns their results as a tuple (void as std::monostate).
///
/// Each task starts on the awaiting thread and runs until its first suspension, one after the
/// other; they then proceed wherever their awaitables resume them. The awaiter resumes on the
/// thread that finished the last task.
/// Cancellation: the children share a stop source linked to the awaiter's stop token.
/// Errors: the first exception (in completion order) requests stop on the other children;
/// after all have finished it is rethrown.
template <class... T>
task<std::tuple<detail::stored_t<T>...>> when_all(task<T>... tasks) {
  detail::fan_in in(sizeof...(T), false);
  std::tuple<std::optional<detail::stored_t<T>>...> slots;
  const std::stop_token parent = co_await this_task::stop_token;
  std::stop_callback link(parent, [&in] { in.request_stop(); });
  auto children = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<detail::fan_in_child, sizeof...(T)>{
        detail::run_child(std::move(tasks), std::get<I>(slots), I, in)...};
  }
  (std::index_sequence_for<T...>{});
  co_await detail::start_children<decltype(children)>{in, children};
  in.rethrow_if_failed();
  co_return std::apply(
      [](auto&... s) { return std::tuple<detail::stored_t<T>...>(std::move(*s)...); }, slots);
}

/// when_all over a vector of tasks of one type; results in the same order as the tasks.
template <class T>
task<std::vector<detail::stored_t<T>>> when_all(std::vector<task<T>> tasks) {
  detail::fan_in in(tasks.size(), false);
  std::vector<std::optional<detail::stored_t<T>>> slots(tasks.size());
  const std::stop_token parent = co_await this_task::stop_token;
  std::stop_callback link(parent, [&in] { in.request_stop(); });
  std::vector<detail::fan_in_child> children;
  children.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i)
    children.push_back(detail::run_child(std::move(tasks[i]), slots[i], i, in));
  co_await detail::start_children<decltype(children)>{in, children};
  in.rethrow_if_failed();
  std::vector<detail::stored_t<T>> out;
  out.reserve(slots.size());
  for (auto& s : slots) out.push_back(std::move(*s));
  co_return out;
}

/// Runs every task concurrently; the first to finish (with a value or an exception) wins.
/// The others are asked to stop (their stop token), and awaited; then the winner's value is
/// returned as a variant whose index() says which task won, or its exception is rethrown.
///
/// Cancellation: a child that ignores its stop token delays when_any until it finishes.
template <class... T>
task<std::variant<detail::stored_t<T>...>> when_any(task<T>... tasks) {
  static_assert(sizeof...(T) >= 1, "when_any needs at least one task");
  detail::fan_in in(sizeof...(T), true);
  std::tuple<std::optional<detail::stored_t<T>>...> slots;
  const std::stop_token parent = co_await this_task::stop_token;
  std::stop_callback link(parent, [&in] { in.request_stop(); });
  auto children = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<detail::fan_in_child, sizeof...(T)>{
        detail::run_child(std::move(tasks), std::get<I>(slots), I, in)...};
  }
  (std::index_sequence_for<T...>{});
  co_await detail::start_children<decltype(children)>{in, children};
  in.rethrow_if_failed();
  std::optional<std::variant<detail::stored_t<T>...>> out;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((in.winner() == I ? (out.emplace(std::in_place_index<I>, std::move(*std::get<I>(slots))), 0)
                       : 0),
     ...);
  }
  (std::index_sequence_for<T...>{});
  co_return std::move(*out);
}

/// when_any over a vector of tasks of one type: returns the winner's index and value.
/// std::invalid_argument if the vector is empty.
template <class T>
task<std::pair<std::size_t, detail::stored_t<T>>> when_any(std::vector<task<T>> tasks) {
  if (tasks.empty()) throw std::invalid_argument("brigade::when_any: no tasks given");
  detail::fan_in in(tasks.size(), true);
  std::vector<std::optional<detail::stored_t<T>>> slots(tasks.size());
  const std::stop_token parent = co_await this_task::stop_token;
  std::stop_callback link(parent, [&in] { in.request_stop(); });
  std::vector<detail::fan_in_child> children;
  children.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i)
    children.push_back(detail::run_child(std::move(tasks[i]), slots[i], i, in));
  co_await detail::start_children<decltype(children)>{in, children};
  in.rethrow_if_failed();
  const std::size_t w = in.winner();
  co_return std::pair<std::size_t, detail::stored_t<T>>(w, std::move(*slots[w]));
}

}  // namespace brigade
