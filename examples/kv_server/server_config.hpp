// The kv server's settings (what the flags choose, with the limits against hostile clients)
// and what every loop shares: the table and the counters INFO reports.
#pragma once

#include "kv_table.hpp"
#include "resp.hpp"

#include <brigade/io/event_loop.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace kv {

struct server_config {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 6379;  ///< 0: the kernel picks a free port
  std::size_t loops = 1;      ///< event loops, each with its own SO_REUSEPORT listener
  std::size_t threads = 0;    ///< pool workers for heavy commands; 0: one per core
  int pool_nice = 10;         ///< the workers' niceness: a loop woken by a client preempts them
  /// The loops' backend. epoll by default (unless BRIGADE_IO is set): 20-35% less CPU per
  /// unpipelined request than io_uring here (bench/RESULTS.md, kv_server vs redis-server).
  brigade::io_backend backend = brigade::io_backend::epoll;
  std::size_t max_clients = 10'000;                 ///< more: "-ERR max number of clients reached"
  std::chrono::milliseconds timeout{0};             ///< idle clients are closed after it; 0: never
  std::chrono::milliseconds write_timeout{10'000};  ///< a reply that makes no progress: close
  std::chrono::milliseconds drain_timeout{5'000};   ///< SIGTERM to forced close
  std::size_t max_output = 64 * 1024 * 1024;        ///< replies held for one client before writing
  resp_limits limits;                               ///< --max-bulk and the fixed ones
  std::string trace;                                ///< --trace FILE: a brigade trace, at exit
};

struct server_stats {
  std::atomic<std::size_t> clients{0};
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> commands{0};
  std::atomic<std::uint64_t> heavy_running{0};
  std::atomic<std::uint64_t> heavy_done{0};
  std::atomic<std::uint64_t> heavy_cancelled{0};
  std::atomic<std::uint64_t> expired{0};  ///< removed by the sweep
};

struct server_shared {
  explicit server_shared(server_config c) : config(std::move(c)) {}
  const server_config config;
  kv_table table;
  server_stats stats;
  std::uint16_t port = 0;     ///< the port actually bound
  std::size_t pool_size = 0;  ///< workers running heavy commands
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

}  // namespace kv
