// brigade::select — wait for the first of several channels to deliver a value (or close).
//
//   brigade::channel<int> numbers;
//   brigade::channel<std::string> words;
//   auto r = brigade::select(numbers, words);          // blocks until one is ready
//   if (r.index == 0) use(std::get<0>(r.value));       // std::optional<int>: empty = closed
//   auto maybe = brigade::select_for(100ms, numbers, words);  // empty optional on timeout
#pragma once

#include <brigade/sync/channel.hpp>
#include <brigade/sync/detail/waiter.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace brigade {

/// Which channel select() took from (`index`, in argument order) and what it got: the value,
/// or an empty optional when that channel was closed and drained.
template <class... T>
struct select_result {
  std::size_t index;
  std::variant<std::optional<T>...> value;
};

namespace detail {

/// select()'s view of a channel's insides.
template <class T>
class select_access {
 public:
  enum outcome { registered, took, lost };
  // Under c's lock: takes at once if c has a value or is closed and the group is still
  // unclaimed (took), stops if another channel claimed it already (lost), else queues w.
  static outcome take_or_register(channel<T>& c, std::optional<T>& out, waiter& w) {
    waiter* wake = nullptr;
    outcome result = registered;
    {
      std::lock_guard lock(c.mu_);
      const bool ready = !c.buffer_.empty() || !c.senders_.empty() || c.closed_;
      if (!ready) {
        w.slot = &out;
        c.receivers_.push_back(w);
      } else if (w.group->claim(w.index)) {
        c.receive_locked(out, wake);
        result = took;
      } else {
        result = lost;
      }
    }
    if (wake != nullptr) wake->wake();
    return result;
  }
  static void unregister(channel<T>& c, waiter& w) {
    std::lock_guard lock(c.mu_);
    c.receivers_.remove(w);
  }
};

inline std::size_t select_start(std::size_t n) noexcept {
  // Rotating the first channel tried keeps one busy channel from starving the others.
  static thread_local std::size_t next = 0;
  return next++ % n;
}

template <class... T, std::size_t... I>
std::optional<select_result<T...>> select_impl(
    const std::chrono::steady_clock::time_point* deadline, std::index_sequence<I...>,
    channel<T>&... chs) {
  constexpr std::size_t n = sizeof...(T);
  select_group group;
  parker p;
  std::array<waiter, n> ws;
  std::tuple<std::optional<T>...> outs;
  for (std::size_t k = 0; k < n; ++k) {
    ws[k].thread = &p;
    ws[k].group = &group;
    ws[k].index = static_cast<int>(k);
  }
  const std::size_t start = select_start(n);
  bool took = false;
  bool lost = false;
  for (std::size_t step = 0; step < n && !took && !lost; ++step) {
    const std::size_t k = (start + step) % n;
    auto visit = [&](auto& c, auto& out, waiter& w) {
      using access = select_access<typename std::remove_reference_t<decltype(c)>::value_type>;
      const auto r = access::take_or_register(c, out, w);
      took = r == access::took;
      lost = r == access::lost;
    };
    ((k == I ? (visit(chs, std::get<I>(outs), ws[I]), 0) : 0), ...);
  }
  if (!took) {  // wait for the channel that claims us (it may have already)
    if (deadline == nullptr) {
      p.wait();
    } else if (!p.wait_until(*deadline) && group.claim(select_group::timed_out)) {
      (select_access<T>::unregister(chs, ws[I]), ...);
      return std::nullopt;
    } else {
      p.wait();  // a channel claimed us: its notify is on the way (or already here)
    }
  }
  // Leave the other channels' queues (the winner already took its waiter out).
  (select_access<T>::unregister(chs, ws[I]), ...);
  const int winner = group.winner.load(memory_order_acquire);  // pairs with claim()
  std::optional<select_result<T...>> r;
  ((winner == static_cast<int>(I)
        ? (r.emplace(
               select_result<T...>{I, std::variant<std::optional<T>...>(
                                          std::in_place_index<I>, std::move(std::get<I>(outs)))}),
           0)
        : 0),
   ...);
  return r;
}

}  // namespace detail

/// Waits until one of the channels has a value or is closed and drained, takes from it, and
/// says which (ties are broken by rotating the first channel looked at).
/// Blocking: sleeps until then; for plain threads (on a pool worker, an event loop or in a
/// simulation it throws std::logic_error).
template <class... T>
select_result<T...> select(channel<T>&... chs) {
  static_assert(sizeof...(T) > 0, "brigade::select needs at least one channel");
  detail::check_may_block("select", "co_await on one channel per task");
  return *detail::select_impl<T...>(nullptr, std::index_sequence_for<T...>{}, chs...);
}

/// select() waiting at most `d`; an empty optional on timeout (nothing was taken).
template <class Rep, class Period, class... T>
std::optional<select_result<T...>> select_for(std::chrono::duration<Rep, Period> d,
                                              channel<T>&... chs) {
  static_assert(sizeof...(T) > 0, "brigade::select_for needs at least one channel");
  detail::check_may_block("select_for", "co_await on one channel per task");
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::ceil<std::chrono::steady_clock::duration>(d);
  return detail::select_impl<T...>(&deadline, std::index_sequence_for<T...>{}, chs...);
}

}  // namespace brigade
