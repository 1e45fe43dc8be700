// Fuzzes brigade::channel and brigade::select (include/brigade/sync/) by running a program of
// operations that the input encodes, on one thread, against a model: per channel a deque of
// queued values, the coroutines waiting to receive and those waiting to send (with their
// values), and whether it is closed.
// The first byte picks the four channels' capacities (0, 1, 3 or unbounded, two bits each);
// each further byte is one operation: its low 3 bits the kind, the next 2 the channel, the top
// 3 a detail. Kinds: try_send (or close, 1 time in 8), try_receive, a coroutine that awaits
// receive(), a coroutine that awaits send(v), select_for(0) over 2 or 3 channels, select() when
// one of them is ready, try_send_for(0) / try_receive_for(0). Coroutines resume inline in the
// waking call (a plain thread has no resume context), so every run is deterministic.
// Checks after each operation: every result equals the model's (the value, which channel a
// select took from: one that was ready), so no value is lost, duplicated or reordered; a send
// on a closed channel throws channel_closed, and so does a sender waiting when it closes; a
// failed try_send leaves its argument alone; size() and closed() equal the model's and size()
// never exceeds the capacity; a coroutine has finished exactly when the model says. At the end
// every channel is closed, which must finish every waiting coroutine.
#include "fuzz_check.hpp"

#include <brigade/sync/channel.hpp>
#include <brigade/sync/select.hpp>

#include <array>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

// An invariant; when it fails, the line says which (libFuzzer then saves the input).
using chan = brigade::channel<std::string>;
constexpr std::size_t n_channels = 4;
constexpr std::array<std::size_t, 4> capacities{0, 1, 3, chan::unbounded};

// A coroutine that starts at once and frees itself when it ends.
struct detached {
  struct promise_type {
    detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::abort(); }
  };
};

struct receive_record {
  bool done = false;
  std::optional<std::string> got;
};
struct send_record {
  bool done = false;
  bool threw = false;
};

detached receiver(chan& ch, std::shared_ptr<receive_record> r) {
  r->got = co_await ch.receive();
  r->done = true;
}

detached sender(chan& ch, std::string v, std::shared_ptr<send_record> r) {
  try {
    co_await ch.send(std::move(v));
  } catch (const brigade::channel_closed&) {
    r->threw = true;
  }
  r->done = true;
}

// What one channel should hold.
struct model {
  std::size_t capacity = 0;
  bool closed = false;
  std::deque<std::string> queued;
  std::deque<std::shared_ptr<receive_record>> receivers;                     // waiting
  std::deque<std::pair<std::string, std::shared_ptr<send_record>>> senders;  // waiting

  bool ready() const { return !queued.empty() || !senders.empty() || closed; }
  std::vector<std::shared_ptr<send_record>> freed;  // senders a receive let go: checked next

  // What a receive takes now (when ready()), updating the model; the sender it frees must
  // have finished without an exception.
  std::optional<std::string> receive() {
    std::optional<std::string> out;
    if (!queued.empty()) {
      out = std::move(queued.front());
      queued.pop_front();
      if (!senders.empty()) {
        freed.push_back(senders.front().second);
        queued.push_back(std::move(senders.front().first));
        senders.pop_front();
      }
    } else if (!senders.empty()) {
      freed.push_back(senders.front().second);
      out = std::move(senders.front().first);
      senders.pop_front();
    }
    return out;
  }
  // A send of v that did not throw: to the first waiting receiver, else queued when there is
  // room; false when full.
  bool send(const std::string& v) {
    if (!receivers.empty()) {
      fuzz_check(receivers.front()->done && receivers.front()->got == v);
      receivers.pop_front();
      return true;
    }
    if (queued.size() >= capacity) return false;
    queued.push_back(v);
    return true;
  }
  void close() {
    closed = true;
    for (auto& r : receivers) fuzz_check(r->done && !r->got);
    receivers.clear();
    for (auto& s : senders) fuzz_check(s.second->done && s.second->threw);
    senders.clear();
  }
};

void check_state(const chan& ch, model& m) {
  for (const auto& s : m.freed) fuzz_check(s->done && !s->threw);
  m.freed.clear();
  fuzz_check(ch.size() == m.queued.size());
  fuzz_check(ch.closed() == m.closed);
  fuzz_check(m.capacity == chan::unbounded || ch.size() <= m.capacity);
  if (!m.receivers.empty()) fuzz_check(m.queued.empty() && m.senders.empty() && !m.closed);
  if (!m.senders.empty()) fuzz_check(m.queued.size() == m.capacity && !m.closed);
  for (const auto& r : m.receivers) fuzz_check(!r->done);
  for (const auto& s : m.senders) fuzz_check(!s.second->done);
}

template <std::size_t>
using string_t = std::string;

struct program {
  std::array<std::unique_ptr<chan>, n_channels> chs;
  std::array<model, n_channels> ms;
  std::uint64_t next_value = 0;

  // Values are unique (and too long for the small-string buffer), so a lost or repeated one
  // shows.
  std::string fresh() { return "value-number-" + std::to_string(next_value++) + "-padding"; }

  void try_send(std::size_t k) {
    std::string v = fresh();
    const std::string copy = v;
    bool threw = false;
    bool sent = false;
    try {
      sent = chs[k]->try_send(v);
    } catch (const brigade::channel_closed&) {
      threw = true;
    }
    if (ms[k].closed) {
      fuzz_check(threw && v == copy);
      return;
    }
    fuzz_check(!threw);
    fuzz_check(sent == ms[k].send(copy));
    if (!sent) fuzz_check(v == copy);
  }

  void try_send_for(std::size_t k) {
    std::string v = fresh();
    bool threw = false;
    bool sent = false;
    try {
      sent = chs[k]->try_send_for(v, std::chrono::milliseconds(0));
    } catch (const brigade::channel_closed&) {
      threw = true;
    }
    fuzz_check(threw == ms[k].closed);
    if (!threw) fuzz_check(sent == ms[k].send(v));
  }

  void try_receive(std::size_t k, bool timed) {
    const std::optional<std::string> got =
        timed ? chs[k]->try_receive_for(std::chrono::milliseconds(0)) : chs[k]->try_receive();
    fuzz_check(got == ms[k].receive());
  }

  void spawn_receiver(std::size_t k) {
    auto r = std::make_shared<receive_record>();
    const bool ready = ms[k].ready();
    const std::optional<std::string> expect = ready ? ms[k].receive() : std::nullopt;
    receiver(*chs[k], r);
    fuzz_check(r->done == ready);
    if (ready)
      fuzz_check(r->got == expect);
    else
      ms[k].receivers.push_back(r);
  }

  void spawn_sender(std::size_t k) {
    auto r = std::make_shared<send_record>();
    const std::string v = fresh();
    sender(*chs[k], v, r);
    if (ms[k].closed) {
      fuzz_check(r->done && r->threw);
    } else if (ms[k].send(v)) {
      fuzz_check(r->done && !r->threw);
    } else {
      fuzz_check(!r->done);
      ms[k].senders.emplace_back(v, r);
    }
  }

  void close(std::size_t k) {
    chs[k]->close();
    ms[k].close();
  }

  // select over the channels `ks` (distinct); blocking only when the model says one is ready.
  template <std::size_t... I>
  void select(std::array<std::size_t, sizeof...(I)> ks, bool blocking, std::index_sequence<I...>) {
    bool any = false;
    for (std::size_t k : ks) any = any || ms[k].ready();
    std::optional<brigade::select_result<string_t<I>...>> r;
    if (blocking && any)
      r = brigade::select(*chs[ks[I]]...);
    else
      r = brigade::select_for(std::chrono::milliseconds(0), *chs[ks[I]]...);
    fuzz_check(r.has_value() == any);
    if (!r) return;
    fuzz_check(r->index < ks.size());
    const std::size_t k = ks[r->index];
    fuzz_check(ms[k].ready());
    std::optional<std::string> got;
    ((r->index == I ? (got = std::get<I>(r->value), 0) : 0), ...);
    fuzz_check(got == ms[k].receive());
  }

  void check_all() {
    for (std::size_t k = 0; k < n_channels; ++k) check_state(*chs[k], ms[k]);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  program p;
  for (std::size_t k = 0; k < n_channels; ++k) {
    const std::size_t cap = capacities[(bytes[0] >> (2 * k)) & 3];
    p.chs[k] = cap == chan::unbounded ? std::make_unique<chan>() : std::make_unique<chan>(cap);
    p.ms[k].capacity = cap;
    fuzz_check(p.chs[k]->capacity() == cap);
  }
  for (std::size_t i = 1; i < size; ++i) {
    const unsigned op = bytes[i] & 7;
    const std::size_t k = (bytes[i] >> 3) & 3;
    const unsigned detail = bytes[i] >> 5;
    switch (op) {
      case 0:
        if (detail == 7)
          p.close(k);
        else
          p.try_send(k);
        break;
      case 1:
        p.try_receive(k, false);
        break;
      case 2:
        p.spawn_receiver(k);
        break;
      case 3:
        p.spawn_sender(k);
        break;
      case 4:
      case 5: {
        const bool blocking = op == 5;
        const std::size_t k2 = (k + 1 + detail % 3) % n_channels;
        if ((detail & 4) != 0) {
          const std::size_t k3 =
              (k2 + 1) % n_channels == k ? (k2 + 2) % n_channels : (k2 + 1) % n_channels;
          p.select(std::array<std::size_t, 3>{k, k2, k3}, blocking, std::make_index_sequence<3>{});
        } else {
          p.select(std::array<std::size_t, 2>{k, k2}, blocking, std::make_index_sequence<2>{});
        }
        break;
      }
      case 6:
        p.try_send_for(k);
        break;
      default:
        p.try_receive(k, true);
        break;
    }
    p.check_all();
  }
  // Closing finishes every waiting coroutine (and frees its frame).
  for (std::size_t k = 0; k < n_channels; ++k) p.close(k);
  p.check_all();
  return 0;
}
