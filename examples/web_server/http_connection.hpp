// One HTTP/1.1 connection: keep-alive and pipelining, parsed by http_parser.
#pragma once

#include <brigade/core/task.hpp>
#include <brigade/io/tcp.hpp>

#include <stop_token>

namespace web {

class loop_server;

/// Serves one accepted connection until it closes: the client closes it or asks to ("Connection:
/// close", HTTP/1.0), a request is malformed or over a limit (answered 400, 405, 413, 431 or
/// 505, then closed), a deadline passes, or the server drains. `stop` cancels it; the task must
/// carry stop's token. Runs on the stream's loop. Throws only before the task exists (no memory
/// for its frame or, with TLS, for OpenSSL's state); the task itself never throws.
brigade::task<void> serve_connection(brigade::tcp_stream stream, loop_server& server,
                                     std::stop_source stop);

}  // namespace web
