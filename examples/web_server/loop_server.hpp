// One event loop's share of the web server: its listener, the connections it accepted, their
// deadlines, and its part of the graceful drain.
#pragma once

#include "server_config.hpp"
#include "server_shared.hpp"

#include <brigade/core/scope.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/tcp.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

namespace web {

/// A live connection as its loop tracks it. It lives inside the connection's coroutine frame,
/// so tracking allocates nothing; only the loop's thread touches it.
struct connection_entry {
  connection_entry* prev = nullptr;
  connection_entry* next = nullptr;
  connection_entry* idle_prev = nullptr;  ///< the idle list, while waiting
  connection_entry* idle_next = nullptr;
  std::int64_t deadline_ns = 0;  ///< past it the sweeper stops the connection; 0: none
  bool waiting = false;          ///< between requests: a drain or a newcomer may close it at once
  int fd = -1;
  std::stop_source stop{std::nostopstate};  ///< the connection's own: cancels what it awaits

  /// The connection must make progress within d from now.
  void expire_after(std::chrono::milliseconds d) noexcept {
    deadline_ns = brigade::event_loop::now_ns() +
                  std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  }
  /// Our own work (a computation, opening a file) is not the client's delay.
  void no_deadline() noexcept { deadline_ns = 0; }
};

/// What a connection uses while it serves requests, never while it waits between them: the
/// buffer it reads into and the response being put together. The loop lends them out and
/// keeps those given back, so that answering a request allocates neither.
struct request_scratch {
  static constexpr std::size_t read_bytes = 8 * 1024;
  std::unique_ptr<char[]> read{new char[read_bytes]};
  std::string out;  ///< the response head (and a small body) as sent
};

/// Accepts on one loop and serves what it accepted there; all on that loop's thread.
class loop_server {
 public:
  loop_server(server_shared& shared, brigade::tcp_listener listener);

  /// Accepts and serves until drained; returns once every connection of this loop is closed.
  /// Never throws. Runs on the listener's loop.
  brigade::task<void> run();

  /// Stops accepting, closes connections that wait between requests, lets the others finish
  /// the request they are in, and stops whatever is left at the drain deadline. Loop thread.
  void begin_drain();

  bool draining() const noexcept { return draining_; }
  const server_config& config() const noexcept { return shared_.config; }
  server_shared& shared() noexcept { return shared_; }
  brigade::endpoint local_endpoint() const { return listener_.local_endpoint(); }

  /// Connections register for their lifetime (loop thread).
  void enter(connection_entry& e) noexcept;
  void leave(connection_entry& e) noexcept;
  /// A connection starts or stops waiting between requests (loop thread). Waiting ones are
  /// kept in the order they began to wait: at the connection limit, a newcomer replaces the
  /// one idle longest.
  void set_waiting(connection_entry& e, bool waiting) noexcept;

  /// A request_scratch for a connection that has a request to serve: a spare one, else a new
  /// one (std::bad_alloc). Loop thread.
  std::unique_ptr<request_scratch> borrow_scratch();
  /// Takes one back for the next request, its response buffer let go if it grew past 64 KiB (a
  /// large body). Loop thread.
  void return_scratch(std::unique_ptr<request_scratch> s) noexcept;
  /// Spares are kept up to the most lent at once since the last trim (the sweeper trims every
  /// tick), so a steady load allocates none and a burst's are freed a tick or two after it.
  void trim_scratch() noexcept;
  static constexpr std::size_t max_spare_scratch = 1024;

 private:
  brigade::task<void> accept_loop();
  brigade::task<void> sweep();
  brigade::task<void> drain_deadline();
  void admit(brigade::tcp_stream s);
  bool evict_longest_idle() noexcept;
  void stop_all() noexcept;

  server_shared& shared_;
  brigade::tcp_listener listener_;
  // The connections and the background tasks; run() returns only after all of them.
  brigade::scope children_;
  std::stop_source accept_stop_;      // the drain stops accepting
  std::stop_source background_stop_;  // the sweeper and the drain deadline, once all are closed
  connection_entry* head_ = nullptr;
  connection_entry* idle_head_ = nullptr;  // idle longest
  connection_entry* idle_tail_ = nullptr;  // idle since the latest
  std::size_t count_ = 0;
  bool draining_ = false;
  std::vector<std::unique_ptr<request_scratch>> spare_scratch_;  // capacity max_spare_scratch
  std::size_t scratch_lent_ = 0;
  std::size_t scratch_lent_peak_ = 0;  // since the last trim
};

/// A request_scratch lent to one connection for as long as this lives.
class scratch_lease {
 public:
  explicit scratch_lease(loop_server& s) : server_(s), scratch_(s.borrow_scratch()) {}
  ~scratch_lease() { server_.return_scratch(std::move(scratch_)); }
  scratch_lease(const scratch_lease&) = delete;
  scratch_lease& operator=(const scratch_lease&) = delete;
  request_scratch* operator->() const noexcept { return scratch_.get(); }

 private:
  loop_server& server_;
  std::unique_ptr<request_scratch> scratch_;
};

}  // namespace web
