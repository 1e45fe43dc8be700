// One loop's server: accepting (with --maxclients), the sweeper (client deadlines, hang-ups
// during heavy commands, and expired keys), and the drain.
#include "loop_server.hpp"

#include <brigade/core/errors.hpp>
#include <brigade/io/timer.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <string_view>
#include <system_error>
#include <utility>

namespace kv {
namespace {

using namespace std::chrono_literals;

constexpr auto sweep_tick = 20ms;
// Expiry: shards swept per tick, so all of them every 1024 / 16 * 20 ms = 1.3 s, each sweep a
// bounded piece of work on the loop (shards without deadlines are skipped at once).
constexpr std::size_t shards_per_tick = 16;

// The peer closed or reset its side: poll with POLLRDHUP sees it even with input unread.
bool hung_up(int fd) noexcept {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace

loop_server::loop_server(server_shared& shared, brigade::tcp_listener listener, bool sweeps)
    : shared_(shared), listener_(std::move(listener)), sweeps_expiry_(sweeps) {}

brigade::task<void> loop_server::run() {
  children_.spawn(brigade::with_stop_token(sweep(), background_stop_.get_token()));
  co_await brigade::with_stop_token(accept_loop(), accept_stop_.get_token());
  begin_drain();
  listener_.close();
  co_await children_.join();
}

brigade::task<void> loop_server::accept_loop() {
  for (;;) {
    try {
      admit(co_await listener_.accept());
      continue;
    } catch (const brigade::operation_cancelled&) {
      break;  // draining
    } catch (const std::system_error& e) {
      if (e.code().value() == ECONNABORTED || e.code().value() == EINTR) continue;
    }
    try {
      co_await brigade::sleep_for(100ms);  // out of descriptors: wait for clients to leave
    } catch (const brigade::operation_cancelled&) {
      break;
    }
  }
}

void loop_server::admit(brigade::tcp_stream s) {
  server_stats& st = shared_.stats;
  st.connections.fetch_add(1, std::memory_order_relaxed);
  if (st.clients.fetch_add(1, std::memory_order_relaxed) >= shared_.config.max_clients) {
    st.clients.fetch_sub(1, std::memory_order_relaxed);
    st.rejected.fetch_add(1, std::memory_order_relaxed);
    static constexpr std::string_view full = "-ERR max number of clients reached\r\n";
    (void)::send(s.native_handle(), full.data(), full.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    return;
  }
  try {
    s.set_nodelay(true);
    std::stop_source stop;
    std::stop_token token = stop.get_token();
    children_.spawn(
        brigade::with_stop_token(serve_client(std::move(s), *this, std::move(stop)), token));
  } catch (const std::exception&) {
    st.clients.fetch_sub(1, std::memory_order_relaxed);
  }
}

void loop_server::enter(client_entry& e) noexcept {
  e.next = head_;
  if (head_ != nullptr) head_->prev = &e;
  head_ = &e;
  ++count_;
}

void loop_server::leave(client_entry& e) noexcept {
  (e.prev != nullptr ? e.prev->next : head_) = e.next;
  if (e.next != nullptr) e.next->prev = e.prev;
  --count_;
  shared_.stats.clients.fetch_sub(1, std::memory_order_relaxed);
  if (draining_ && count_ == 0) background_stop_.request_stop();
}

brigade::task<void> loop_server::sweep() {
  std::size_t next_shard = 0;
  for (;;) {
    try {
      co_await brigade::sleep_for(sweep_tick);
    } catch (const brigade::operation_cancelled&) {
      break;
    }
    const std::int64_t now = brigade::event_loop::now_ns();
    for (client_entry* e = head_; e != nullptr; e = e->next) {
      // A client that hung up during a heavy command: stop it, and with it the command.
      const bool expired = e->deadline_ns != 0 && now >= e->deadline_ns;
      if (expired || (e->heavy && hung_up(e->fd))) {
        e->deadline_ns = 0;
        e->heavy = false;
        e->stop.request_stop();
      }
    }
    if (sweeps_expiry_) {
      const std::size_t n = shared_.table.sweep(next_shard, shards_per_tick);
      next_shard = (next_shard + shards_per_tick) % kv_table::shard_count;
      if (n != 0) shared_.stats.expired.fetch_add(n, std::memory_order_relaxed);
    }
  }
}

void loop_server::begin_drain() {
  if (draining_) return;
  draining_ = true;
  accept_stop_.request_stop();
  for (client_entry* e = head_; e != nullptr; e = e->next)
    if (e->idle) e->stop.request_stop();
  if (count_ == 0) {
    background_stop_.request_stop();
  } else {
    children_.spawn(brigade::with_stop_token(drain_deadline(), background_stop_.get_token()));
  }
}

brigade::task<void> loop_server::drain_deadline() {
  try {
    co_await brigade::sleep_for(shared_.config.drain_timeout);
  } catch (const brigade::operation_cancelled&) {
    co_return;
  }
  std::fprintf(stderr, "kv_server: drain deadline passed, closing %zu client(s)\n", count_);
  for (client_entry* e = head_; e != nullptr; e = e->next) e->stop.request_stop();
}

}  // namespace kv
