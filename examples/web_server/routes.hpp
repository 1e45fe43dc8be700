// What the server answers, by path: "Hello, World!" at /, CPU work at /compute (offloaded to
// the pool), static files from --root.
#pragma once

#include "http_message.hpp"
#include "server_config.hpp"

#include <brigade/core/task.hpp>

#include <cstdint>

namespace web {

/// The response to req (a GET or HEAD). Runs on the connection's loop; never blocks it: the
/// computation and the file system work run on the pool.
brigade::task<response> route(const request& req, const server_config& cfg);

/// The number of primes below n, counted in parallel on the calling thread's pool (a
/// segmented sieve: memory O(sqrt n) plus one segment per worker, whatever n is).
std::uint64_t count_primes_below(std::uint64_t n);

}  // namespace web
