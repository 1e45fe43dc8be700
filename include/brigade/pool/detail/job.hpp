// The unit of work a pool runs: a function pointer and the object it runs on, so that
// fork-join can put jobs on the stack and never allocate.
#pragma once

#include <exception>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>
#include <variant>

namespace brigade::detail {

class scheduler;

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
  friend class scheduler;
  run_fn run_;
  // The link in a pool's injection queue, written by scheduler::inject (so that queueing a job
  // allocates nothing); left uninitialized otherwise: a fork does not pay a store for it.
  job* injected_next_;
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

/// What a function run elsewhere produced, its value or its exception, in storage that nothing
/// initializes before run(): T needs no default constructor, and an outcome that is never run
/// costs nothing (a fork-join branch that was not stolen never touches it). run() writes
/// exactly one of the two (on the thread that runs the function); after that, and only after
/// the runner's completion is visible to the consumer (a done flag, a lock, a resumption), the
/// consumer calls take() or drop() exactly once. Users: join's stolen branch, pool::run's
/// blocking job, offload.
template <class T>
class outcome {
 public:
  outcome() noexcept {}
  outcome(const outcome&) = delete;
  outcome& operator=(const outcome&) = delete;
  ~outcome() {}  // take() or drop() destroyed what run() made; nothing if run() never ran

  template <class F>
  void run(F& f) noexcept {
    try {
      ::new (static_cast<void*>(&value_)) T(call_value(f));
      failed_ = false;
    } catch (...) {
      ::new (static_cast<void*>(&error_)) std::exception_ptr(std::current_exception());
      failed_ = true;
    }
  }

  /// The value, or rethrows the exception.
  T take() {
    if (failed_) {
      std::exception_ptr e = std::move(error_);
      error_.~exception_ptr();
      std::rethrow_exception(std::move(e));
    }
    struct destroy_after {
      T& v;
      ~destroy_after() { v.~T(); }
    } after{value_};
    return std::move(value_);
  }

  void drop() noexcept {
    if (failed_)
      error_.~exception_ptr();
    else
      value_.~T();
  }

 private:
  union {
    T value_;
    std::exception_ptr error_;
  };
  bool failed_;
};

}  // namespace brigade::detail
