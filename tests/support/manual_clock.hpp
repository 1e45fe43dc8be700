// A test executor on a clock that moves only when the test says so: one more implementation
// of the scheduler seam (post, post_at, now), beside the event loop and the simulator. Ready
// coroutines run in FIFO order on the test's thread when it calls run_ready() or advance().
#pragma once

#include <brigade/core/detail/resume_context.hpp>

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <map>
#include <utility>

namespace brigade::testing {

class manual_clock final : public detail::resume_context {
 public:
  manual_clock() : outer_(detail::set_current_resume_context(this)) {}
  ~manual_clock() { detail::set_current_resume_context(outer_); }
  manual_clock(const manual_clock&) = delete;
  manual_clock& operator=(const manual_clock&) = delete;

  void resume_later(std::coroutine_handle<> h, std::uint64_t) noexcept override {
    ready_.push_back(h);
  }
  std::int64_t now_ns() const noexcept override { return now_; }
  bool has_timers() const noexcept override { return true; }
  void resume_at(detail::timed_resume& t) override {
    t.ticket = next_++;
    timers_.emplace(std::pair(t.deadline_ns, t.ticket), &t);
  }
  bool cancel_at(detail::timed_resume& t) noexcept override {
    return timers_.erase(std::pair(t.deadline_ns, t.ticket)) == 1;
  }

  /// Runs what is ready, and what that makes ready, until nothing is.
  void run_ready() {
    while (!ready_.empty()) {
      auto h = ready_.front();
      ready_.pop_front();
      h.resume();
    }
  }

  /// Moves the clock forward by d, firing the timers it passes in deadline order.
  void advance(std::chrono::nanoseconds d) {
    const std::int64_t until = now_ + d.count();
    run_ready();
    while (!timers_.empty() && timers_.begin()->first.first <= until) {
      now_ = std::max(now_, timers_.begin()->first.first);
      ready_.push_back(timers_.begin()->second->waiter);
      timers_.erase(timers_.begin());
      run_ready();
    }
    now_ = until;
  }

  std::size_t pending_timers() const noexcept { return timers_.size(); }

 private:
  detail::resume_context* outer_;
  std::deque<std::coroutine_handle<>> ready_;
  std::map<std::pair<std::int64_t, std::uint64_t>, detail::timed_resume*> timers_;
  std::uint64_t next_ = 0;
  std::int64_t now_ = 0;
};

}  // namespace brigade::testing
