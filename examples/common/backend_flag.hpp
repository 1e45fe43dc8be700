// The --io flag that web_server and kv_server share: which backend their event loops use, with
// one default for both (epoll unless BRIGADE_IO is set), so the two cannot drift apart.
#pragma once

#include <brigade/io/event_loop.hpp>

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <string>

namespace examples {

/// Adds --io to app; the choice lands in io (empty when not given).
inline void add_backend_flag(CLI::App& app, std::string& io) {
  app.add_option("--io", io,
                 "the event loops' backend: epoll, uring, or auto (BRIGADE_IO, else io_uring where "
                 "the kernel allows it); default: BRIGADE_IO if set, else epoll (less CPU per "
                 "request here than io_uring)")
      ->check(CLI::IsMember({"auto", "epoll", "uring"}));
}

/// The backend --io chose: epoll by default, automatic (BRIGADE_IO decides) when the flag says
/// auto or is absent while BRIGADE_IO is set.
inline brigade::io_backend backend_from_flag(const std::string& io) {
  if (io == "uring") return brigade::io_backend::uring;
  if (io == "auto" || (io.empty() && std::getenv("BRIGADE_IO") != nullptr))
    return brigade::io_backend::automatic;
  return brigade::io_backend::epoll;
}

}  // namespace examples
