// brigade::generator<T> and brigade::stream<T> — coroutines that produce a sequence with co_yield.
//
//   brigade::generator<int> naturals() { for (int i = 0;; ++i) co_yield i; }
//   for (int n : naturals() | std::views::take(10)) use(n);
//
//   brigade::stream<line> lines(tcp_stream& s) { ... co_await s.read(buf); ... co_yield l; }
//   auto in = lines(s);
//   while (auto l = co_await in.next()) use(*l);
//
// Use a generator when the next value is computed without waiting (a parser, a traversal, a
// sequence of numbers): it is a std::ranges::input_range and a view, so range-for and the
// standard views work on it. Use a stream when producing the next value waits (a socket, a
// timer, a channel): its body may co_await, and its consumer co_awaits each item.
#pragma once

#include <brigade/core/task.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace brigade {

template <class T>
class generator;
template <class T>
class stream;

namespace detail {

template <class T>
class generator_promise {
 public:
  using value_type = std::remove_cvref_t<T>;
  using reference = std::conditional_t<std::is_reference_v<T>, T, T&>;
  using pointer = std::add_pointer_t<reference>;

  generator<T> get_return_object() noexcept;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  std::suspend_always final_suspend() const noexcept { return {}; }

  /// The yielded object lives in the body's frame (or is the body's temporary, alive until the
  /// body resumes), so the consumer reads it in place, without a copy.
  std::suspend_always yield_value(std::remove_reference_t<reference>& v) noexcept {
    value_ = std::addressof(v);
    return {};
  }
  std::suspend_always yield_value(std::remove_reference_t<reference>&& v) noexcept {
    value_ = std::addressof(v);
    return {};
  }

  /// A const lvalue yielded by a generator of non-const values is copied into the awaiter,
  /// which lives in the body's frame while it is suspended.
  struct copy_awaiter {
    value_type copy;
    pointer* slot;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) noexcept { *slot = std::addressof(copy); }
    void await_resume() const noexcept {}
  };
  copy_awaiter yield_value(const value_type& v) requires(!std::is_reference_v<T> &&
                                                         !std::is_const_v<T> &&
                                                         std::is_copy_constructible_v<value_type>) {
    return copy_awaiter{v, &value_};
  }

  void return_void() noexcept {}
  void unhandled_exception() noexcept { error_ = std::current_exception(); }

  /// Generators are synchronous: a co_await in the body does not compile (use stream<T>).
  template <class U>
  std::suspend_never await_transform(U&&) = delete;

  /// Runs the body to its next co_yield or its end; rethrows what escaped it.
  void resume(std::coroutine_handle<generator_promise> h) {
    h.resume();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }
  reference value() const noexcept { return static_cast<reference>(*value_); }

 private:
  pointer value_ = nullptr;
  std::exception_ptr error_;
};

}  // namespace detail

/// A lazy, synchronous coroutine producing a sequence of T with `co_yield`; an input range
/// and a view (move-only). The body runs only while the consumer asks for the next value:
/// begin() runs it to its first co_yield, ++it to its next.
///
/// Values: `*it` is a reference to the yielded object itself (T& for a generator<T>, T for a
/// generator<T&>), valid until the iterator is incremented; moving from it is allowed. A
/// const lvalue yielded by a generator<T> is copied once.
///
/// Thread safety: one consumer at a time; it may move between threads between increments.
/// Errors: an exception escaping the body is rethrown by the begin() or ++ that ran into it;
/// the sequence then ends (the iterator equals end()). Calling begin() twice is a
/// std::logic_error (the sequence is consumed once).
/// Destruction: destroying the generator (for instance after a `break`) destroys the body's
/// frame and so its locals, wherever it was suspended.
template <class T>
class [[nodiscard]] generator {
 public:
  using promise_type = detail::generator_promise<T>;
  using value_type = typename promise_type::value_type;
  using reference = typename promise_type::reference;

  class iterator {
   public:
    using value_type = generator::value_type;
    using reference = generator::reference;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;

    iterator() noexcept = default;

    reference operator*() const noexcept { return h_.promise().value(); }
    std::add_pointer_t<reference> operator->()
        const noexcept requires std::is_reference_v<reference> {
      return std::addressof(**this);
    }
    iterator& operator++() {
      h_.promise().resume(h_);
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
      return !it.h_ || it.h_.done();
    }

   private:
    friend generator;
    explicit iterator(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
    std::coroutine_handle<promise_type> h_;
  };

  generator() noexcept = default;
  generator(generator&& o) noexcept : h_(std::exchange(o.h_, {})), started_(o.started_) {}
  generator& operator=(generator&& o) noexcept {
    if (this != &o) {
      destroy();
      h_ = std::exchange(o.h_, {});
      started_ = o.started_;
    }
    return *this;
  }
  ~generator() { destroy(); }

  /// Runs the body to its first co_yield. Errors: what the body threw; std::logic_error on a
  /// second call.
  iterator begin() {
    if (started_) throw std::logic_error("brigade::generator: begin() called twice");
    started_ = true;
    if (h_) h_.promise().resume(h_);
    return iterator{h_};
  }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  friend promise_type;
  explicit generator(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  void destroy() noexcept {
    if (h_) std::exchange(h_, {}).destroy();
  }

  std::coroutine_handle<promise_type> h_;
  bool started_ = false;
};

namespace detail {

template <class T>
generator<T> generator_promise<T>::get_return_object() noexcept {
  return generator<T>(std::coroutine_handle<generator_promise>::from_promise(*this));
}

template <class T>
class stream_promise final : public promise_base {
 public:
  stream<T> get_return_object() noexcept;

  /// Hands the value to the consumer and transfers to it (symmetric transfer): the consumer
  /// runs next on the thread that produced the value.
  struct yield_awaiter {
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<stream_promise> h) noexcept {
      return h.promise().consumer_;
    }
    void await_resume() const noexcept {}
  };
  template <class U = T>
  requires std::is_constructible_v<T, U&&> yield_awaiter yield_value(U&& v)
  noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    value_.emplace(std::forward<U>(v));
    return {};
  }
  void return_void() noexcept {}

  void set_consumer(std::coroutine_handle<> c) noexcept {
    consumer_ = c;
    set_continuation(c);  // where the final suspend goes: the consumer of the last next()
  }
  std::optional<T> take(std::coroutine_handle<stream_promise> h) {
    if (h.done()) {
      if (!ended_) {
        ended_ = true;
        rethrow_if_failed();  // once: later next() calls see the plain end
      }
      return std::nullopt;
    }
    return std::exchange(value_, std::nullopt);
  }

 private:
  std::coroutine_handle<> consumer_;
  std::optional<T> value_;
  bool ended_ = false;
};

}  // namespace detail

/// A lazy coroutine producing a sequence of T asynchronously: its body may `co_await` (I/O,
/// timers, channels, other tasks) and `co_yield`s values; its consumer awaits each one with
/// `co_await s.next()`, which gives the next value, or std::nullopt after the body returned.
///
/// Semantics: the body runs only while a next() is awaited: from where it stopped to its
/// next co_yield (or its end). It inherits the stop token of the coroutine awaiting next(),
/// as a task does, so brigade awaitables in it are cancelled with the consumer. The consumer
/// resumes where the body yields (e.g. on the event loop whose timer the body awaited).
/// Values are moved out to the consumer (T is an object type).
///
/// Thread safety: one consumer, one next() at a time (a second concurrent next() is a
/// std::logic_error); it may move between threads between items.
/// Errors: an exception escaping the body is rethrown by the next() that ran into it; later
/// next() calls give std::nullopt.
/// Destruction: destroy a stream only while no next() is in flight; that destroys the body's
/// frame, wherever it was suspended at a co_yield (or before it started).
template <class T>
class [[nodiscard]] stream {
  static_assert(std::is_object_v<T> && !std::is_const_v<T>,
                "brigade::stream<T>: T is a non-const object type (values are moved out)");

 public:
  using promise_type = detail::stream_promise<T>;
  using value_type = T;

  stream() noexcept = default;
  stream(stream&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  stream& operator=(stream&& o) noexcept {
    if (this != &o) {
      destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~stream() { destroy(); }

  class next_awaiter {
   public:
    explicit next_awaiter(stream& s) noexcept : s_(s) {}
    bool await_ready() const noexcept { return !s_.h_ || s_.h_.done(); }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> consumer) {
      promise_type& p = s_.h_.promise();
      if (s_.busy_) throw std::logic_error("brigade::stream: next() while another is in flight");
      s_.busy_ = true;
      p.set_consumer(consumer);
      if (!p.stop_token().stop_possible()) p.set_stop_token(detail::stop_token_of(consumer));
      return s_.h_;
    }
    std::optional<T> await_resume() {
      if (!s_.h_) return std::nullopt;
      s_.busy_ = false;
      return s_.h_.promise().take(s_.h_);
    }

   private:
    stream& s_;
  };

  /// `co_await s.next()`: the next value, or std::nullopt at the end (and for an empty
  /// stream). Errors: what the body threw, once.
  next_awaiter next() noexcept { return next_awaiter{*this}; }

  /// True when this object holds a coroutine (not moved from or default constructed).
  explicit operator bool() const noexcept { return static_cast<bool>(h_); }

 private:
  friend promise_type;
  explicit stream(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  void destroy() noexcept {
    if (h_) std::exchange(h_, {}).destroy();
  }

  std::coroutine_handle<promise_type> h_;
  bool busy_ = false;
};

namespace detail {

template <class T>
stream<T> stream_promise<T>::get_return_object() noexcept {
  return stream<T>(std::coroutine_handle<stream_promise>::from_promise(*this));
}

}  // namespace detail

/// A generator as a pipeline source: a callable giving its values one by one (moved out),
/// then std::nullopt. The callable owns the generator.
template <class T>
auto as_source(generator<T> g) {
  struct source {
    std::shared_ptr<generator<T>> gen;
    std::optional<typename generator<T>::iterator> it;
    std::optional<typename generator<T>::value_type> operator()() {
      if (!it) {
        it.emplace(gen->begin());
      } else {
        ++*it;
      }
      if (*it == gen->end()) return std::nullopt;
      return std::move(**it);
    }
  };
  return source{std::make_shared<generator<T>>(std::move(g)), std::nullopt};
}

}  // namespace brigade

/// A generator is a view (cheap to move, consumed once), so `generator() | std::views::...`
/// composes directly. (Specialised rather than inherited from view_interface, which clang 14
/// cannot instantiate with libstdc++ 12 — nor can it compile libstdc++ 12's views themselves.)
namespace std::ranges {
template <class T>
inline constexpr bool enable_view<brigade::generator<T>> = true;
}  // namespace std::ranges
