// The unit of work a pool runs: a function pointer and the object it runs on, so that
// fork-join can put jobs on the stack and never allocate.
#pragma once

#include <exception>
#include <functional>
#include <type_traits>
#include <utility>
#include <variant>

namespace brigade::detail {

/// A unit of work. Derived types embed it and supply the function that runs them; the pool
/// stores only `job*`, so a job may live on a stack frame that waits for it, or on the heap.
class job {
 public:
  using run_fn = void (*)(job&) noexcept;

  explicit job(run_fn run) noexcept : run_(run) {}
  job(const job&) = delete;
  job& operator=(const job&) = delete;

  /// Runs the job. A job may free itself while running, so this is the last use of `*this`.
  void execute() noexcept { run_(*this); }

 protected:
  ~job() = default;

 private:
  run_fn run_;
};

/// The result type of calling F with no arguments, with void mapped to std::monostate so that
/// results can always be stored and returned in pairs and tuples.
template <class F>
using value_of_t = std::conditional_t<std::is_void_v<std::invoke_result_t<F&>>, std::monostate,
                                      std::invoke_result_t<F&>>;

/// Calls f and returns its result, or std::monostate when f returns void.
template <class F>
value_of_t<F> call_value(F& f) {
  if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
    std::invoke(f);
    return std::monostate{};
  } else {
    return std::invoke(f);
  }
}

/// Storage for a value that is constructed later (a result computed on another worker),
/// without requiring the type to be default-constructible.
template <class T>
class late_value {
 public:
  late_value() noexcept {}
  late_value(const late_value&) = delete;
  late_value& operator=(const late_value&) = delete;
  ~late_value() {
    if (has_) value_.~T();
  }

  template <class F>
  void emplace_from(F& f) {
    ::new (static_cast<void*>(&value_)) T(call_value(f));
    has_ = true;
  }
  T take() { return std::move(value_); }

 private:
  union {
    T value_;
  };
  bool has_ = false;
};

}  // namespace brigade::detail
