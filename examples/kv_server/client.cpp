// One client's life. It reads what has arrived, runs every complete command in it (so a
// pipeline costs one read and one write), and writes the replies. Point commands run right
// here on the loop; heavy ones go to the pool with brigade::offload, and the loop serves the
// other clients meanwhile. Deadlines and hang-ups reach the coroutine through its stop token,
// which the loop's sweeper requests.
#include "commands.hpp"
#include "loop_server.hpp"

#include <brigade/core/errors.hpp>
#include <brigade/io/offload.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace kv {
namespace {

constexpr std::size_t read_chunk = 16 * 1024;
// An input buffer grown past this for one big command is given back once it is consumed.
constexpr std::size_t keep_buffer_bytes = 1024 * 1024;

struct client : client_entry {
  client(brigade::tcp_stream s, loop_server& srv, std::stop_source st)
      : stream(std::move(s)), server(srv) {
    stop = std::move(st);
    fd = stream.native_handle();
    server.enter(*this);
    direct_io = stream.loop().backend() == brigade::io_backend::epoll;
  }
  ~client() { server.leave(*this); }
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  brigade::tcp_stream stream;
  loop_server& server;
  // On epoll: write replies with the system call itself (try_write), and read after a
  // readiness wait with try_read, instead of operations through the loop. The same system calls
  // less the loop's queueing and a resumption each, and no read that finds the socket empty
  // (a read through the loop tries first, and a client that waits for its reply has sent
  // nothing yet). On io_uring the operations are submissions batched per loop turn: kept.
  bool direct_io = false;
};

// Writes what the socket's buffer takes now when direct_io; returns what is left.
std::string_view write_now(client& c, std::string_view out) {
  if (!c.direct_io || out.empty()) return out;
  const std::optional<std::size_t> n = c.stream.try_write(std::as_bytes(std::span(out)));
  return n ? out.substr(*n) : out;
}

// Received bytes: [begin, end) is not yet consumed; begin is the current command's first byte.
struct input {
  std::unique_ptr<char[]> data{new char[read_chunk]};
  std::size_t capacity = read_chunk;
  std::size_t begin = 0;
  std::size_t end = 0;

  std::string_view pending() const noexcept { return {data.get() + begin, end - begin}; }

  // Room for the next read: moves the pending bytes to the front, and grows (doubling) only
  // when the pending command itself needs more room. Growth follows the bytes that arrived,
  // never a length a client announced.
  std::span<char> space() {
    if (begin == end && capacity > keep_buffer_bytes) {
      data.reset(new char[read_chunk]);
      capacity = read_chunk;
    }
    if (begin == end) begin = end = 0;
    if (capacity - end < read_chunk / 2 && begin > 0) {
      std::memmove(data.get(), data.get() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    if (capacity - end < read_chunk / 2) {
      const std::size_t grown = std::max(capacity * 2, end + read_chunk);
      std::unique_ptr<char[]> bigger(new char[grown]);
      std::memcpy(bigger.get(), data.get() + begin, end - begin);
      end -= begin;
      begin = 0;
      data = std::move(bigger);
      capacity = grown;
    }
    return {data.get() + end, capacity - end};
  }
};

// Writes all of out. Each write that makes progress renews the deadline: only a client that
// stops reading its replies is cut off, --write-timeout after its last progress.
brigade::task<void> flush(client& c, std::string& out) {
  const auto limit = c.server.shared().config.write_timeout;
  std::string_view rest = write_now(c, out);
  while (!rest.empty()) {
    c.expire_after(limit);
    rest.remove_prefix(co_await c.stream.write_some(rest));
  }
  c.deadline_ns = 0;
  out.clear();
}

// A heavy command on the pool. nullopt: cancelled, because the client hung up (or the drain
// deadline passed); the client then closes.
brigade::task<std::optional<std::string>> run_heavy(client& c, const command& cmd, args_view args) {
  server_shared& sh = c.server.shared();
  c.heavy = true;  // the sweeper now watches for a hang-up
  sh.stats.heavy_running.fetch_add(1, std::memory_order_relaxed);
  std::optional<std::string> r;
  try {
    r = co_await brigade::offload(
        [&sh, fn = cmd.heavy, args](std::stop_token stop) { return fn(sh, args, stop); });
  } catch (const brigade::operation_cancelled&) {
    // cancelled while still queued: it never ran
  }
  c.heavy = false;
  sh.stats.heavy_running.fetch_sub(1, std::memory_order_relaxed);
  (r ? sh.stats.heavy_done : sh.stats.heavy_cancelled).fetch_add(1, std::memory_order_relaxed);
  co_return r;
}

}  // namespace

brigade::task<void> serve_client(brigade::tcp_stream stream, loop_server& server,
                                 std::stop_source stop) {
  client c(std::move(stream), server, std::move(stop));
  server_shared& sh = server.shared();
  const server_config& cfg = sh.config;
  resp_parser parser(cfg.limits);
  input in;
  std::string out;
  try {
    for (bool close = false; !close;) {
      std::uint64_t ran = 0;
      // Every complete command that has arrived, in order.
      while (in.begin < in.end && in.end - in.begin >= parser.wanted()) {
        const std::string_view data = in.pending();
        const auto status = parser.parse(data);
        if (status == resp_parser::status::incomplete) break;
        if (status == resp_parser::status::error) {
          reply::error(out,
                       "ERR " + parser.error());  // as Redis: the error, then the connection closes
          close = true;
          break;
        }
        const std::vector<std::string_view>& args = parser.args(data);
        if (!args.empty()) {
          ++ran;
          const command* cmd = find_command(args[0]);
          if (reject(cmd, args, out)) {
            // answered with the error
          } else if (cmd->heavy != nullptr) {
            if (!out.empty()) co_await flush(c, out);  // what came before is not held back
            std::optional<std::string> r = co_await run_heavy(c, *cmd, args);
            if (!r) co_return;
            out += *r;
          } else {
            cmd->point(sh, args, out);
            close = cmd->name == "quit";
          }
        }
        in.begin += parser.consumed();
        parser.reset();
        if (close) break;
        if (out.size() >= cfg.max_output) co_await flush(c, out);  // backpressure
      }
      sh.stats.commands.fetch_add(ran, std::memory_order_relaxed);
      // flush(), written out: this is every request's path, and a coroutine call per write
      // would cost a frame allocation each.
      for (std::string_view rest = write_now(c, out); !rest.empty();) {
        c.expire_after(cfg.write_timeout);
        rest.remove_prefix(co_await c.stream.write_some(rest));
      }
      c.deadline_ns = 0;
      out.clear();
      if (close || server.draining()) break;
      const std::span<char> space = in.space();
      c.idle = in.begin == in.end;  // nothing half-read: the drain may close it now
      c.expire_after(cfg.timeout);
      std::size_t n = 0;
      if (c.direct_io) {
        // Right after a short try_read the wait skips its first look (edge-triggered epoll).
        for (;;) {
          co_await c.stream.wait_readable();
          if (const std::optional<std::size_t> got = c.stream.try_read(space)) {
            n = *got;
            break;
          }
        }
      } else {
        n = co_await c.stream.read(space);
      }
      c.idle = false;
      c.deadline_ns = 0;
      if (n == 0) break;  // the client closed its side
      in.end += n;
    }
  } catch (const brigade::operation_cancelled&) {
    // A deadline passed, the client hung up during a heavy command, or the drain ended.
  } catch (const std::exception&) {
    // Reset by the peer, or no memory for this client: nobody left to answer.
  }
}

}  // namespace kv
