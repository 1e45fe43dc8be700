// The runtime: building, wiring and tearing down the pool and the loops.
#include <brigade/io/runtime.hpp>

#include <brigade/pool/detail/scheduler.hpp>

#include <stdexcept>
#include <string>

namespace brigade {

runtime::runtime(options o) {
  if (o.loops == 0)
    throw std::invalid_argument("brigade::runtime: loops must be at least 1, got 0");
  if (o.single_threaded && o.loops > 1)
    throw std::invalid_argument("brigade::runtime: single_threaded takes one loop, got " +
                                std::to_string(o.loops));
  if (!o.single_threaded) {
    // One pool per process unless asked for another: a runtime beside free parallel_for
    // calls shares their workers instead of doubling the threads that compete for the cores.
    if (o.threads == 0) {
      pool_ = &brigade::pool::global();
    } else {
      own_pool_ = std::make_unique<brigade::pool>(o.threads);
      pool_ = own_pool_.get();
    }
    if (o.pool_nice != 0) pool_->set_worker_nice(o.pool_nice);
  }
  for (std::size_t i = 0; i < o.loops; ++i) {
    loops_.push_back(std::make_unique<event_loop>(event_loop::options{o.backend}));
    detail::loop_access::attach_pool(*loops_.back(), pool_);
    detail::loop_access::set_single_threaded(*loops_.back(), o.single_threaded);
  }
  const detail::async_signals_blocked masked;  // the loop threads start with it in place
  for (std::size_t i = 1; i < loops_.size(); ++i)
    threads_.emplace_back([l = loops_[i].get()] {
      detail::block_async_signals();
      l->run();
    });
}

runtime::~runtime() {
  for (std::size_t i = 1; i < loops_.size(); ++i) loops_[i]->stop();
  for (auto& t : threads_) t.join();
  loops_.clear();     // each loop cancels what is still pending on it
  own_pool_.reset();  // finishes queued work, joins the workers (the process's pool stays)
}

brigade::pool& runtime::pool() {
  if (!pool_) throw std::logic_error("brigade::runtime: a single-threaded runtime has no pool");
  return *pool_;
}

event_loop& runtime::loop(std::size_t i) {
  if (i >= loops_.size())
    throw std::out_of_range("brigade::runtime::loop: index " + std::to_string(i) + " but only " +
                            std::to_string(loops_.size()) + " loop(s)");
  return *loops_[i];
}

}  // namespace brigade
