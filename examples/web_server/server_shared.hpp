// What every loop of the server shares: the settings, the connection count that
// --max-connections caps, the static root and the lane that opens its files.
#pragma once

#include "server_config.hpp"
#include "static_files.hpp"

#include <brigade/pool/pool.hpp>

#include <atomic>
#include <cstddef>
#include <memory>

namespace web {

struct server_shared {
  explicit server_shared(server_config c)
      : config(std::move(c)),
        root(config.root.empty() ? nullptr : std::make_unique<static_root>(config.root)),
        file_lane(root ? std::make_unique<brigade::pool>(file_lane_threads) : nullptr) {}

  /// Workers that open files: opens are quick and non-blocking for FIFOs, but a cold disk
  /// can still make one wait, and they must never queue behind /compute.
  static constexpr std::size_t file_lane_threads = 2;

  const server_config config;
  std::atomic<std::size_t> connections{0};
  const std::unique_ptr<const static_root> root;   ///< null without --root
  const std::unique_ptr<brigade::pool> file_lane;  ///< null without --root
};

}  // namespace web
