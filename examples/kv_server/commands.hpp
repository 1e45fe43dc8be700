// The command table: each command's arity and its implementation, either a point command that
// runs on the client's loop or a heavy one that runs on the pool over the table's shards.
#pragma once

#include "server_config.hpp"

#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>

namespace kv {

using args_view = std::span<const std::string_view>;

struct command {
  /// Runs on the loop; appends the reply to out.
  using point_fn = void (*)(server_shared&, args_view, std::string& out);
  /// Runs on a pool worker; returns the reply, or nullopt when `stop` was requested.
  using heavy_fn = std::optional<std::string> (*)(server_shared&, args_view, std::stop_token);

  std::string_view name;  ///< lower case
  int arity;              ///< as Redis: n exactly, or -n for at least n (the name counts)
  point_fn point = nullptr;
  heavy_fn heavy = nullptr;
};

/// The command named args[0] (any case), or nullptr.
const command* find_command(std::string_view name);

/// Appends the error for args when no command takes them (unknown name or wrong arity); false
/// when cmd accepts them.
bool reject(const command* cmd, args_view args, std::string& out);

}  // namespace kv
