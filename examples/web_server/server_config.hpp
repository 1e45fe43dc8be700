// The web server's settings: what the flags choose, and the fixed limits that keep hostile
// clients from costing more than a bounded amount of memory and time.
#pragma once

#include <brigade/io/event_loop.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace web {

struct server_config {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  ///< 0: the kernel picks a free port
  std::size_t loops = 1;      ///< event loops, each with its own SO_REUSEPORT listener
  std::size_t threads = 0;    ///< pool workers; 0: BRIGADE_THREADS, else the hardware's
  int pool_nice = 10;         ///< the workers' niceness: the loops win a shared core back
  /// The loops' backend. epoll by default (unless BRIGADE_IO is set): with the direct reads
  /// and writes it is ~30% less CPU per request than io_uring here (bench/RESULTS.md).
  brigade::io_backend backend = brigade::io_backend::epoll;
  std::filesystem::path root;    ///< canonical directory of static files; empty: none
  bool follow_symlinks = false;  ///< follow links under root that lead out of it (refused: 403)
  std::string tls_cert;          ///< PEM certificate (and chain): HTTPS; empty: plain HTTP
  std::string tls_key;           ///< PEM private key of tls_cert

  std::size_t max_connections = 10'000;              ///< across all loops; the excess gets 503
  std::chrono::milliseconds idle_timeout{30'000};    ///< keep-alive wait, and any stalled I/O
  std::chrono::milliseconds header_timeout{10'000};  ///< first byte to end of the headers
  std::chrono::milliseconds drain_timeout{10'000};   ///< SIGTERM to forced close

  std::size_t max_header_bytes = 8 * 1024;     ///< request line + headers; more: 431
  std::uint64_t max_body_bytes = 1024 * 1024;  ///< more: 413
  std::uint64_t max_compute_n = 100'000'000;   ///< /compute?n= above this: 400
};

}  // namespace web
