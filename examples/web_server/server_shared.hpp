// What every loop of the server shares: the settings, the connection count that
// --max-connections caps, the static root, and the two pools: one for files, one that
// computes.
#pragma once

#include "server_config.hpp"
#include "static_files.hpp"

#include <brigade/pool/pool.hpp>
#if WEB_SERVER_TLS
#include <brigade/tls/tls_stream.hpp>
#endif

#include <atomic>
#include <cstddef>
#include <memory>

namespace web {

struct server_shared {
  /// `files` opens static files (and, under epoll, reads them): the runtime's pool.
  server_shared(server_config c, brigade::pool& files)
      : config(std::move(c)),
        root(config.root.empty() ? nullptr
                                 : std::make_unique<static_root>(
                                       config.root, config.follow_symlinks ? link_policy::follow
                                                                           : link_policy::beneath)),
        file_lane(files),
        compute(config.threads == 0 ? std::make_unique<brigade::pool>()
                                    : std::make_unique<brigade::pool>(config.threads))
#if WEB_SERVER_TLS
        ,
        tls(config.tls_cert.empty()
                ? nullptr
                : std::make_unique<const brigade::tls_context>(
                      brigade::tls_context::server({.cert_file = config.tls_cert,
                                                    .key_file = config.tls_key,
                                                    .alpn = {"http/1.1"}})))
#endif
  {
    if (config.pool_nice != 0) compute->set_worker_nice(config.pool_nice);
  }

  const server_config config;
  std::atomic<std::size_t> connections{0};
  const std::unique_ptr<const static_root> root;  ///< null without --root
  /// File system work: quick and non-blocking for FIFOs, but a cold disk can still make a
  /// worker wait, so never on the pool that computes, and no file waits behind /compute.
  brigade::pool& file_lane;
  /// /compute's own pool (--threads workers, at --pool-nice).
  const std::unique_ptr<brigade::pool> compute;
#if WEB_SERVER_TLS
  /// --tls-cert and --tls-key: every connection is HTTPS (ALPN http/1.1); null: plain HTTP.
  const std::unique_ptr<const brigade::tls_context> tls;
#endif
};

}  // namespace web
