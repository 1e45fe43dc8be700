// brigade::runtime — the kitchen: a pool (the team) and one or more event loops (the chefs
// who juggle dishes), wired together and shut down together.
//
//   brigade::runtime rt;                       // one loop + a pool
//   int answer = rt.block_on(main_task(rt));   // loop 0 runs on this thread
//
// Inside: `co_await rt.pool().schedule()` moves onto the pool, `co_await rt.loop().schedule()`
// back; `co_await brigade::offload(fn)` runs fn on the pool while the loop keeps serving.
#pragma once

#include <brigade/core/task.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/pool/pool.hpp>

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace brigade {

/// Owns event loops, and a pool when asked for one of its own (by default it uses the
/// process's pool). Loop 0 runs on the thread that calls block_on(); the others run on threads
/// of their own (one per core is the usual choice, with SO_REUSEPORT listeners). A
/// single-threaded runtime starts no pool at all: offload() and file I/O run on its loop.
///
/// Thread safety: pool(), loop() and loop_count() from any thread; block_on() from one thread
/// at a time. Shutdown (destructor): stops the extra loops and joins their threads (each loop
/// cancels what is still pending on it), then the pool finishes its queued work and joins.
class runtime {
 public:
  struct options {
    /// 0: the process's pool, pool::global() (BRIGADE_THREADS workers, else one per hardware
    /// thread), shared with the free algorithms, so a runtime adds no threads of its own;
    /// n: a pool of the runtime's own with n workers.
    std::size_t threads = 0;
    std::size_t loops = 1;         ///< event loops (at least 1)
    bool single_threaded = false;  ///< one loop and no pool: everything on one thread
    io_backend backend = io_backend::automatic;
    /// Niceness of the pool's workers (pool::set_worker_nice); 0 leaves them as they are. A
    /// server whose loops share cores with heavy pool work sets it (e.g. 10) so that a loop
    /// woken by I/O preempts the computation at once instead of waiting for a time slice.
    /// With threads == 0 this renices the process's pool.
    int pool_nice = 0;
  };

  runtime() : runtime(options{}) {}
  /// std::invalid_argument for loops == 0, or loops > 1 with single_threaded.
  explicit runtime(options o);
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  /// The pool. std::logic_error in single-threaded mode.
  brigade::pool& pool();
  bool has_pool() const noexcept { return pool_ != nullptr; }
  event_loop& loop(std::size_t i = 0);
  std::size_t loop_count() const noexcept { return loops_.size(); }

  /// Runs t on loop 0, on the calling thread, until it completes.
  template <class T>
  T block_on(task<T> t) {
    return loops_.front()->run_until(std::move(t));
  }

 private:
  std::unique_ptr<brigade::pool> own_pool_;  // threads != 0
  brigade::pool* pool_ = nullptr;            // own_pool_, pool::global(), or none
  std::vector<std::unique_ptr<event_loop>> loops_;
  std::vector<std::thread> threads_;  // loops 1..n-1
};

}  // namespace brigade
