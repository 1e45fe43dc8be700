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
#include <stop_token>

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
};

}  // namespace web
