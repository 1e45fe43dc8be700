// TLS over tcp_stream (the optional brigade::tls component, OpenSSL underneath): tls_context holds
// the settings and certificates one side uses for many connections; tls_stream is one encrypted
// connection, client or server.
//
//   auto ctx = brigade::tls_context::client({.alpn = {"http/1.1"}});   // verifies by default
//   brigade::tls_stream s = co_await brigade::tls_stream::connect(ctx, loop, at, "example.com");
//   co_await s.write(request);
//   std::size_t n = co_await s.read(buffer);   // 0 once the peer sent close_notify
//   co_await s.shutdown();                      // our close_notify
//
// Servers wrap an accepted stream: tls_stream::server(ctx, co_await listener.accept()), then
// co_await handshake(). All socket I/O goes through the tcp_stream's awaitables (OpenSSL works
// on memory buffers), so TLS runs on either loop backend, epoll or io_uring.
#pragma once

#include <brigade/core/task.hpp>
#include <brigade/io/endpoint.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/tcp.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace brigade {

/// A TLS failure: a certificate that does not verify (the message names the peer and OpenSSL's
/// reason: "certificate has expired", "hostname mismatch", "self-signed certificate", ...), a
/// handshake the peer broke off or answered with something else than TLS, a stream truncated
/// without close_notify, or a certificate or key file that cannot be used (the message names
/// the path).
class tls_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
struct tls_context_state;
struct tls_stream_state;
}  // namespace detail

/// The settings of one side of many TLS connections (an OpenSSL SSL_CTX). Cheap to copy: the
/// copies share it.
///
/// Thread safety: distinct objects: safe. Shared object: const use (making streams) from any
/// threads at once.
/// Errors: the factories throw tls_error naming the file that cannot be read or used.
class tls_context {
 public:
  struct client_options {
    /// ALPN protocols offered, most preferred first ("h2", "http/1.1"); empty: no ALPN.
    std::vector<std::string> alpn{};
    /// A PEM file of certificates trusted besides the system's (a private CA).
    std::string ca_file{};
    /// Trust the system's certificate store (SSL_CTX_set_default_verify_paths).
    bool system_ca = true;
    /// Accept ANY certificate, for any name: no protection against an active attacker. For
    /// tests and debugging only; the name is long on purpose.
    bool insecure_skip_verification = false;
  };
  struct server_options {
    std::string cert_file{};  ///< PEM: the server's certificate, then its chain
    std::string key_file{};   ///< PEM: the private key of cert_file
    /// ALPN protocols accepted, most preferred first; the first one the client also offers is
    /// chosen. Empty: no ALPN. A client offering none of them gets no ALPN answer.
    std::vector<std::string> alpn{};
  };

  /// A client context: TLS 1.2 or later, certificates verified (system CAs, plus ca_file).
  static tls_context client(client_options o);
  static tls_context client();
  /// A server context with its certificate and key (checked to match).
  static tls_context server(server_options o);

  bool is_server() const noexcept;

 private:
  friend class tls_stream;
  std::shared_ptr<detail::tls_context_state> state_;
};

/// One TLS connection over a tcp_stream. Move-only; closing (or destroying) it closes the socket
/// without close_notify: call shutdown() first for a clean close.
///
/// Thread safety: one read and one write may be in flight at a time, awaited on the stream's
/// loop thread; the awaiting coroutine resumes there. Distinct streams: safe.
/// Cancellation: every operation honours the awaiting coroutine's stop token (as tcp_stream's)
/// and ends with operation_cancelled; a stream whose operation was cancelled can only be closed.
/// Errors: tls_error for TLS failures (see tls_error; the message names the peer);
/// std::system_error from the socket (ECONNRESET, EPIPE, ...).
class tls_stream {
 public:
  tls_stream() noexcept;
  tls_stream(tls_stream&&) noexcept;
  tls_stream& operator=(tls_stream&&) noexcept;
  ~tls_stream();

  /// The client side over a connected stream (no I/O yet: handshake() next). `host` is sent as
  /// SNI and, unless the context skips verification, must match the server's certificate (a
  /// DNS name, or an IP address).
  static tls_stream client(const tls_context& ctx, tcp_stream s, std::string host);
  /// The server side over an accepted stream (no I/O yet: handshake() next).
  static tls_stream server(const tls_context& ctx, tcp_stream s);
  /// Connects a tcp_stream to `to`, then does the client handshake with `host`.
  static task<tls_stream> connect(const tls_context& ctx, event_loop& loop, endpoint to,
                                  std::string host);

  /// The handshake: certificates checked, ALPN chosen. tls_error when it fails.
  task<void> handshake();
  /// Reads what is available (decrypted), at most buf.size() bytes; 0 means the peer sent
  /// close_notify. A peer that closes the connection without it: tls_error (truncated).
  task<std::size_t> read(std::span<char> buf);
  task<std::size_t> read(std::span<std::byte> buf);
  /// Writes some of buf (at least one byte unless buf is empty, at most 64 KiB), encrypted and
  /// sent; returns how many.
  task<std::size_t> write_some(std::span<const std::byte> buf);
  task<std::size_t> write_some(std::string_view buf);
  /// Writes all of buf.
  task<void> write(std::span<const std::byte> buf);
  task<void> write(std::string_view buf);
  /// Waits until read() would not wait for the socket (decrypted bytes are buffered, or the
  /// socket is readable), holding no buffer.
  task<void> wait_readable();
  /// Sends close_notify (does not wait for the peer's); reading still works.
  task<void> shutdown();

  /// The ALPN protocol chosen in the handshake; empty if none.
  std::string_view alpn_protocol() const noexcept;
  /// The server name the client asked for (SNI): the host given to client(), or on a server
  /// what the client sent; empty if none.
  std::string_view server_name() const noexcept;
  /// "TLSv1.3", ...; empty before the handshake.
  std::string_view protocol_version() const noexcept;

  tcp_stream& tcp() noexcept;
  int native_handle() const noexcept;
  event_loop& loop() const noexcept;
  bool is_open() const noexcept;
  /// Closes the socket at once (no close_notify). No operation may be pending.
  void close() noexcept;

 private:
  explicit tls_stream(std::unique_ptr<detail::tls_stream_state> s) noexcept;
  std::unique_ptr<detail::tls_stream_state> state_;
};

}  // namespace brigade
