// One loop's server: the accept loop (with --max-connections), the sweeper that enforces the
// idle and header deadlines through each connection's stop token, and the drain.
#include "loop_server.hpp"

#include "http_connection.hpp"

#include <brigade/core/errors.hpp>
#include <brigade/io/timer.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string_view>
#include <system_error>
#include <utility>

namespace web {
namespace {

using namespace std::chrono_literals;

// Over the limit: one non-blocking attempt at a 503, then close. Nothing waits on a connection
// we refused, so a flood of them costs no memory.
void refuse(brigade::tcp_stream& s) {
  static constexpr std::string_view busy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 22\r\n"
      "Retry-After: 1\r\nConnection: close\r\n\r\nserver is at capacity\n";
  static_assert(busy.ends_with("\r\n\r\nserver is at capacity\n"));
  (void)::send(s.native_handle(), busy.data(), busy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

// A connection that waits between requests but whose next request has already arrived is not
// idle: the client sent it before the drain, so it is served.
bool has_unread_input(int fd) noexcept {
  char c;
  return ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

// Errors that concern the one connection being accepted (accept(2) says: retry at once).
bool only_this_connection(const std::system_error& e) noexcept {
  switch (e.code().value()) {
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
    case EINTR:
      return true;
    default:
      return false;
  }
}

}  // namespace

loop_server::loop_server(server_shared& shared, brigade::tcp_listener listener)
    : shared_(shared), listener_(std::move(listener)) {
  spare_scratch_.reserve(max_spare_scratch);  // return_scratch never allocates
}

std::unique_ptr<request_scratch> loop_server::borrow_scratch() {
  std::unique_ptr<request_scratch> s;
  if (spare_scratch_.empty()) {
    s = std::make_unique<request_scratch>();
  } else {
    s = std::move(spare_scratch_.back());
    spare_scratch_.pop_back();
  }
  scratch_lent_peak_ = std::max(scratch_lent_peak_, ++scratch_lent_);
  return s;
}

void loop_server::return_scratch(std::unique_ptr<request_scratch> s) noexcept {
  --scratch_lent_;
  if (spare_scratch_.size() >= max_spare_scratch) return;  // freed here
  s->out.clear();
  if (s->out.capacity() > 64 * 1024) std::string().swap(s->out);
  spare_scratch_.push_back(std::move(s));  // within the reserved capacity
}

void loop_server::trim_scratch() noexcept {
  while (spare_scratch_.size() > scratch_lent_peak_) spare_scratch_.pop_back();
  scratch_lent_peak_ = scratch_lent_;
}

brigade::task<void> loop_server::run() {
  children_.spawn(brigade::with_stop_token(sweep(), background_stop_.get_token()));
  co_await brigade::with_stop_token(accept_loop(), accept_stop_.get_token());
  begin_drain();  // no-op when the drain is why accepting stopped
  listener_.close();
  co_await children_.join();  // children catch everything: nothing is rethrown here
}

brigade::task<void> loop_server::accept_loop() {
  for (;;) {
    bool backoff = false;
    try {
      admit(co_await listener_.accept());
      continue;
    } catch (const brigade::operation_cancelled&) {
      break;  // draining
    } catch (const std::system_error& e) {
      // Out of descriptors (EMFILE) or memory: wait for connections to close rather than spin.
      backoff = !only_this_connection(e);
    }
    if (!backoff) continue;
    try {
      co_await brigade::sleep_for(100ms);
    } catch (const brigade::operation_cancelled&) {
      break;
    }
  }
}

void loop_server::admit(brigade::tcp_stream s) {
  // At the limit, the connection idle longest makes room, as nginx does; 503 only when none of
  // this loop's connections waits between requests. The replaced one gives its slot back when
  // it has closed, a turn of the loop later: until then the count exceeds the limit by the
  // connections being replaced.
  if (shared_.connections.fetch_add(1, std::memory_order_relaxed) >= config().max_connections &&
      !evict_longest_idle()) {
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
    refuse(s);
    return;
  }
  try {
    s.set_nodelay(true);  // each response is written whole: no reason to let Nagle hold it
    std::stop_source stop;
    std::stop_token token = stop.get_token();
    children_.spawn(brigade::with_stop_token(serve_connection(std::move(s), *this, std::move(stop)),
                                             std::move(token)));
  } catch (const std::exception&) {
    // The client reset the connection already, or no memory for its frame: drop it. Nothing
    // that throws here ran the connection's body, so it never registered; the count is ours.
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
  }
}

void loop_server::enter(connection_entry& e) noexcept {
  e.next = head_;
  if (head_ != nullptr) head_->prev = &e;
  head_ = &e;
  ++count_;
}

void loop_server::leave(connection_entry& e) noexcept {
  set_waiting(e, false);
  (e.prev != nullptr ? e.prev->next : head_) = e.next;
  if (e.next != nullptr) e.next->prev = e.prev;
  --count_;
  shared_.connections.fetch_sub(1, std::memory_order_relaxed);
  if (draining_ && count_ == 0) background_stop_.request_stop();
}

void loop_server::set_waiting(connection_entry& e, bool waiting) noexcept {
  if (e.waiting == waiting) return;
  e.waiting = waiting;
  if (waiting) {
    e.idle_prev = idle_tail_;
    e.idle_next = nullptr;
    (idle_tail_ != nullptr ? idle_tail_->idle_next : idle_head_) = &e;
    idle_tail_ = &e;
  } else {
    (e.idle_prev != nullptr ? e.idle_prev->idle_next : idle_head_) = e.idle_next;
    (e.idle_next != nullptr ? e.idle_next->idle_prev : idle_tail_) = e.idle_prev;
    e.idle_prev = e.idle_next = nullptr;
  }
}

bool loop_server::evict_longest_idle() noexcept {
  for (connection_entry* e = idle_head_; e != nullptr; e = e->idle_next) {
    if (has_unread_input(e->fd)) continue;  // its next request is here: it is not idle
    set_waiting(*e, false);                 // chosen once
    e->stop.request_stop();  // its wait ends with operation_cancelled: it closes without a word
    return true;
  }
  return false;
}

brigade::task<void> loop_server::sweep() {
  // One timer for all connections instead of one per connection: a scan every tick is cheap,
  // and an idle connection then carries no timer at all.
  const auto shortest = std::min(config().idle_timeout, config().header_timeout);
  const auto tick = std::clamp<std::chrono::milliseconds>(shortest / 4, 10ms, 250ms);
  for (;;) {
    try {
      co_await brigade::sleep_for(tick);
    } catch (const brigade::operation_cancelled&) {
      break;
    }
    trim_scratch();
    const std::int64_t now = brigade::event_loop::now_ns();
    for (connection_entry* e = head_; e != nullptr; e = e->next) {
      if (e->deadline_ns == 0 || now < e->deadline_ns) continue;
      e->deadline_ns = 0;
      e->stop.request_stop();  // its pending read or write ends with operation_cancelled
    }
  }
}

void loop_server::begin_drain() {
  if (draining_) return;
  draining_ = true;
  accept_stop_.request_stop();
  for (connection_entry* e = head_; e != nullptr; e = e->next)
    if (e->waiting && !has_unread_input(e->fd)) e->stop.request_stop();
  if (count_ == 0) {
    background_stop_.request_stop();
  } else {
    children_.spawn(brigade::with_stop_token(drain_deadline(), background_stop_.get_token()));
  }
}

brigade::task<void> loop_server::drain_deadline() {
  try {
    co_await brigade::sleep_for(config().drain_timeout);
  } catch (const brigade::operation_cancelled&) {
    co_return;  // every connection closed in time
  }
  if (count_ != 0)
    std::fprintf(stderr, "web_server: drain deadline passed, closing %zu connection(s)\n", count_);
  stop_all();
}

void loop_server::stop_all() noexcept {
  for (connection_entry* e = head_; e != nullptr; e = e->next) e->stop.request_stop();
}

}  // namespace web
