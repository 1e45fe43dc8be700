// What the server answers, by path: "Hello, World!" at /, CPU work at /compute (offloaded to
// the pool), static files from --root.
#pragma once

#include "http_message.hpp"
#include "server_shared.hpp"

#include <brigade/core/task.hpp>

#include <cstdint>
#include <stop_token>

namespace web {

/// The response to req (a GET or HEAD) from the client on socket `client_fd`. Runs on the
/// connection's loop; never blocks it: the computation runs on the pool, file system work on
/// the file lane. A computation whose client hangs up meanwhile is abandoned: the route then
/// throws brigade::operation_cancelled (nobody is left to answer).
brigade::task<response> route(const request& req, server_shared& shared, int client_fd);

/// The number of primes below n, counted in parallel on the calling thread's pool (a
/// segmented sieve: memory O(sqrt n) plus one segment per worker, whatever n is). Stops early
/// with brigade::operation_cancelled once `stop` is requested.
std::uint64_t count_primes_below(std::uint64_t n, std::stop_token stop = {});

}  // namespace web
