// One event loop's share of the kv server: its listener, its clients and their deadlines,
// the expiry sweep (loop 0's), and its part of the drain on SIGTERM.
#pragma once

#include "server_config.hpp"

#include <brigade/core/scope.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stop_token>

namespace kv {

/// A live client as its loop tracks it; it lives in the client's coroutine frame and only the
/// loop's thread touches it.
struct client_entry {
  client_entry* prev = nullptr;
  client_entry* next = nullptr;
  std::int64_t deadline_ns = 0;  ///< past it the sweeper stops the client; 0: none
  bool idle = false;   ///< waiting for a command with nothing half-read: a drain closes it
  bool heavy = false;  ///< a heavy command of its runs: the sweeper watches for hang-ups
  int fd = -1;
  std::stop_source stop{std::nostopstate};  ///< cancels what the client's coroutine awaits

  void expire_after(std::chrono::milliseconds d) noexcept {
    deadline_ns = d.count() == 0
                      ? 0
                      : brigade::event_loop::now_ns() +
                            std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  }
};

/// Accepts on one loop and serves what it accepted there, all on that loop's thread.
class loop_server {
 public:
  loop_server(server_shared& shared, brigade::tcp_listener listener, bool sweeps_expiry);

  /// Accepts and serves until drained. Never throws. Runs on the listener's loop.
  brigade::task<void> run();
  /// Stops accepting, closes idle clients, lets the others finish what they are doing, and
  /// stops the rest at the drain deadline. Loop thread.
  void begin_drain();

  bool draining() const noexcept { return draining_; }
  server_shared& shared() noexcept { return shared_; }
  brigade::endpoint local_endpoint() const { return listener_.local_endpoint(); }

  void enter(client_entry& e) noexcept;
  void leave(client_entry& e) noexcept;

 private:
  brigade::task<void> accept_loop();
  brigade::task<void> sweep();
  brigade::task<void> drain_deadline();
  void admit(brigade::tcp_stream s);

  server_shared& shared_;
  brigade::tcp_listener listener_;
  bool sweeps_expiry_;
  brigade::scope children_;
  std::stop_source accept_stop_;
  std::stop_source background_stop_;
  client_entry* head_ = nullptr;
  std::size_t count_ = 0;
  bool draining_ = false;
};

/// One client's life: read, run every complete command, write the replies, again.
brigade::task<void> serve_client(brigade::tcp_stream stream, loop_server& server,
                                 std::stop_source stop);

}  // namespace kv
