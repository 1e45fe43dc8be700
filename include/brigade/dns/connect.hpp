// brigade::connect — a TCP connection to "host:port", trying the host's addresses in turn.
//
//   brigade::tcp_stream s = co_await brigade::connect(loop, "localhost:8080");
//
// Part of the optional brigade::dns component: tcp_stream::connect (the core) takes an
// endpoint only, because brigade::brigade cannot depend on c-ares.
#pragma once

#include <brigade/core/task.hpp>
#include <brigade/dns/resolve.hpp>
#include <brigade/io/endpoint.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/tcp.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace brigade {

/// Thrown when every address failed to connect: the message names the host and, for each
/// address, its failure.
class connect_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Connects to `host_port`: "name:port", "a.b.c.d:port" or "[v6]:port"; the port may be a
/// service name ("localhost:http"). Resolves the name (resolve()), then connect_any().
///
/// Thread safety: await it from a coroutine running on `loop`'s thread.
/// Cancellation: the awaiting coroutine's stop token cancels the resolution or every attempt
/// (operation_cancelled); works with brigade::timeout.
/// Errors: resolve_error (the name, or a malformed "host:port", which it names); connect_error.
task<tcp_stream> connect(event_loop& loop, std::string host_port, resolver_options options = {});

/// Happy eyeballs (RFC 8305's timing) over `addresses`, in order: the first attempt starts at
/// once, each next one when the previous ones have all failed or after `delay` without a
/// connection; the first to connect wins and the others are cancelled. `what` names the target
/// in errors. Same thread safety and cancellation as connect().
/// Errors: connect_error naming `what` and each address's failure (std::invalid_argument when
/// `addresses` is empty).
task<tcp_stream> connect_any(event_loop& loop, std::vector<endpoint> addresses, std::string what,
                             std::chrono::milliseconds delay = std::chrono::milliseconds(250));

}  // namespace brigade
