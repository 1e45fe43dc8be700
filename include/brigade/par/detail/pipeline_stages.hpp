// The typed half of brigade::pipeline: which type each stage takes, the per-token item slot
// (a variant over those types), calling the source and the stages, and the driver coroutine
// that runs a stage returning brigade::task<U>.
#pragma once

#include <brigade/core/task.hpp>
#include <brigade/par/detail/pipeline_core.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace brigade::detail {

/// A stage as the user described it: a mode and a callable.
template <class F>
struct stage_def {
  stage_mode mode;
  F fn;
};

template <class R>
struct unwrap_task {
  using type = R;
  static constexpr bool is_task = false;
};
template <class U>
struct unwrap_task<task<U>> {
  using type = U;
  static constexpr bool is_task = true;
};

/// What stage F produces from an In (the U of a task<U>); void when it cannot take an In.
template <class F, class In>
struct stage_output {
  using type = void;
};
template <class F, class In>
requires(!std::is_void_v<In> && std::is_invocable_v<F&, In&&>) struct stage_output<F, In>
    : unwrap_task<std::invoke_result_t<F&, In&&>> {
};

template <class... Ts>
struct type_list {};

/// The input type of every stage, and what the last one produces.
template <class Inputs, class In, class... Fs>
struct stage_chain;
template <class... Acc, class In>
struct stage_chain<type_list<Acc...>, In> {
  using inputs = type_list<Acc...>;
  using output = In;
};
template <class... Acc, class In, class F, class... Rest>
struct stage_chain<type_list<Acc...>, In, F, Rest...> {
  static_assert(!std::is_void_v<In>,
                "brigade::pipeline: only the last stage (the sink) may "
                "return void");
  static_assert(std::is_void_v<In> || std::is_invocable_v<F&, In&&>,
                "brigade::pipeline: a stage must accept (by value or const&) what the stage "
                "before it returns");
  using next = stage_chain<type_list<Acc..., In>, typename stage_output<F, In>::type, Rest...>;
  using inputs = typename next::inputs;
  using output = typename next::output;
};

template <class List>
struct slot_of;
template <class... Ts>
struct slot_of<type_list<Ts...>> {
  using type = std::variant<std::monostate, Ts...>;  // alternative k: stage k's input
};

template <class T>
struct optional_value {
  static constexpr bool ok = false;
};
template <class T>
struct optional_value<std::optional<T>> {
  static constexpr bool ok = true;
  using type = T;
};

/// Runs one coroutine stage for one item and frees itself when done.
class pipeline_driver {
 public:
  struct promise_type {
    pipeline_driver get_return_object() noexcept {
      return pipeline_driver{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }  // started by the launcher
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // the body catches everything
  };
  pipeline_driver(pipeline_driver&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  pipeline_driver& operator=(pipeline_driver&&) = delete;
  ~pipeline_driver() {
    if (h_) h_.destroy();
  }
  std::coroutine_handle<> release() noexcept { return std::exchange(h_, {}); }

 private:
  explicit pipeline_driver(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  std::coroutine_handle<promise_type> h_;
};

/// A pipeline with its source, stages and one item slot per token.
template <class Source, class... Fs>
class typed_pipeline final : public pipeline_core {
  using source_result = std::invoke_result_t<Source&>;
  static_assert(optional_value<source_result>::ok,
                "brigade::pipeline: the source returns std::optional<T> (std::nullopt ends it)");

 public:
  using item_type = typename optional_value<source_result>::type;
  static constexpr std::size_t stage_count = sizeof...(Fs);
  static_assert(stage_count >= 1, "brigade::pipeline: at least one stage, the sink");
  using chain = stage_chain<type_list<>, item_type, Fs...>;
  static_assert(std::is_void_v<typename chain::output>,
                "brigade::pipeline: the last stage is the sink: it returns void (or task<void>)");
  using slot = typename slot_of<typename chain::inputs>::type;

  typed_pipeline(std::size_t tokens, Source source, stage_def<Fs>... stages)
      : pipeline_core(tokens, std::vector<stage_mode>{stages.mode...}),
        source_(std::move(source)),
        stages_(std::move(stages)...),
        slots_(tokens) {}

 private:
  bool produce(std::size_t i) override {
    std::optional<item_type> item = std::invoke(source_);
    if (!item) return false;
    slots_[i].template emplace<1>(std::move(*item));
    return true;
  }

  stage_outcome invoke(std::size_t stage, pipeline_token& t) override {
    return dispatch(stage, t, std::index_sequence_for<Fs...>{});
  }

  void discard(std::size_t i) noexcept override { slots_[i].template emplace<0>(); }

  template <std::size_t... I>
  stage_outcome dispatch(std::size_t stage, pipeline_token& t, std::index_sequence<I...>) {
    stage_outcome out = stage_outcome::done;
    (void)((stage == I + 1 ? (out = invoke_at<I>(t), true) : false) || ...);
    return out;
  }

  template <std::size_t I>
  stage_outcome invoke_at(pipeline_token& t) {
    using F = std::tuple_element_t<I, std::tuple<Fs...>>;
    using In = std::variant_alternative_t<I + 1, slot>;
    using R = std::invoke_result_t<F&, In&&>;
    slot& s = slots_[t.index];
    F& f = std::get<I>(stages_).fn;
    if constexpr (unwrap_task<R>::is_task) {
      const std::coroutine_handle<> h =
          drive<I>(*this, t, std::invoke(f, std::move(std::get<I + 1>(s)))).release();
      // After this the driver owns the token: touch neither.
      if (resume_context* where = home()) {
        where->resume_later(h);
      } else {
        h.resume();
      }
      return stage_outcome::pending;
    } else if constexpr (I + 1 == stage_count) {
      std::invoke(f, std::move(std::get<I + 1>(s)));  // the sink; the token discards the rest
      return stage_outcome::done;
    } else {
      s.template emplace<I + 2>(std::invoke(f, std::move(std::get<I + 1>(s))));
      return stage_outcome::done;
    }
  }

  template <std::size_t I, class U>
  static pipeline_driver drive(typed_pipeline& self, pipeline_token& t, task<U> work) {
    try {
      if constexpr (I + 1 == stage_count) {
        co_await std::move(work);
        self.discard(t.index);
      } else {
        U out = co_await std::move(work);
        self.slots_[t.index].template emplace<I + 2>(std::move(out));
      }
    } catch (...) {
      self.discard(t.index);
      self.fail(std::current_exception());
    }
    self.resume_token(t);  // last access: the token may finish the run from here on
  }

  Source source_;
  std::tuple<stage_def<Fs>...> stages_;
  // One item per cache line: neighbouring items are worked on by different threads.
  struct alignas(cache_line) padded_slot : slot {
    using slot::slot;
  };
  std::vector<padded_slot> slots_;
};

}  // namespace brigade::detail
