// brigade::resolve — names to endpoints (IPv4 and IPv6), asynchronously, on an event loop.
//
//   std::vector<brigade::endpoint> at = co_await brigade::resolve(loop, "example.org", "https");
//   brigade::tcp_stream s = co_await brigade::connect(loop, "example.org:443");  // connect.hpp
//
// Part of the optional brigade::dns component (library brigade_dns, built when c-ares is found);
// brigade::brigade itself depends on nothing but the standard library and Linux, which is why
// tcp_stream::connect takes an endpoint and never a name. Public headers do not include
// <ares.h>: c-ares stays inside src/dns.
#pragma once

#include <brigade/core/task.hpp>
#include <brigade/io/endpoint.hpp>
#include <brigade/io/event_loop.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace brigade {

/// Thrown when a name does not resolve: the message names the host and c-ares's reason, e.g.
/// `brigade::resolve: "nosuch.invalid": Domain name not found`; also for a port that is neither
/// a number in 0..65535 nor a service name of /etc/services.
class resolve_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How resolve() asks. Every field has a default: the system's configuration.
/// Thread safety: a plain value; resolve() copies it.
struct resolver_options {
  /// The DNS servers to ask, in order (port 0 means 53). Empty: those of /etc/resolv.conf.
  std::vector<endpoint> servers;
  /// How long one try waits for an answer before the next try or server (0: c-ares's default,
  /// or resolv.conf's `timeout`). The whole resolution can take `tries` times as long per
  /// server: bound it with brigade::timeout.
  std::chrono::milliseconds query_timeout{0};
  /// How many times each server is asked (0: c-ares's default, or resolv.conf's `attempts`).
  int tries = 0;
};

/// The endpoints of `host` with `port` (a number, or a service name such as "http", looked up
/// in /etc/services), IPv4 and IPv6, in the order c-ares sorts them (RFC 6724: the preferred
/// first). Names of /etc/hosts (localhost) resolve without a query, and so do numeric hosts
/// ("127.0.0.1", "::1", "[::1]"). Other names are asked of the DNS servers with c-ares, whose
/// sockets are watched through the loop's readiness waits and whose timeouts run on the loop's
/// timers: no thread is blocked.
///
/// Thread safety: distinct calls are independent (each has its own c-ares channel); the
/// coroutine resumes on `loop`'s thread.
/// Cancellation: honours the awaiting coroutine's stop token (the query is dropped, and
/// operation_cancelled is thrown); works with brigade::timeout.
/// Errors: resolve_error naming the host (or the port) and the reason.
task<std::vector<endpoint>> resolve(event_loop& loop, std::string host, std::string port,
                                    resolver_options options = {});
/// As above with a numeric port.
task<std::vector<endpoint>> resolve(event_loop& loop, std::string host, std::uint16_t port,
                                    resolver_options options = {});

}  // namespace brigade
