// tls_stream: OpenSSL on two memory buffers (BIOs). OpenSSL never touches the socket: what it
// wants to send piles up in `out` and is written with tcp_stream::write; what it needs to read
// is read with tcp_stream::read into `in`. So every wait is a tcp_stream awaitable, on either
// backend, and honours the awaiting coroutine's stop token.
#include "tls_state.hpp"

#include <brigade/core/task.hpp>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <climits>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace brigade {
namespace detail {

struct tls_stream_state {
  tls_stream_state(std::shared_ptr<tls_context_state> c, tcp_stream s, std::string h)
      : tcp(std::move(s)), ctx(std::move(c)), host(std::move(h)) {
    ERR_clear_error();
    ssl = SSL_new(ctx->ctx);
    BIO* rb = BIO_new(BIO_s_mem());
    BIO* wb = BIO_new(BIO_s_mem());
    if (ssl == nullptr || rb == nullptr || wb == nullptr) {
      BIO_free(rb);
      BIO_free(wb);
      SSL_free(ssl);
      throw tls_error("brigade::tls_stream: out of memory for OpenSSL: " + take_openssl_errors());
    }
    // Empty buffers mean "try again later", not end of file: EOF is the socket's to tell.
    BIO_set_mem_eof_return(rb, -1);
    BIO_set_mem_eof_return(wb, -1);
    SSL_set_bio(ssl, rb, wb);  // ssl owns them now
    in = rb;
    out = wb;
    try {
      address = tcp.remote_endpoint().to_string();
    } catch (const std::exception&) {
      // reset already: the handshake will say so
    }
  }
  ~tls_stream_state() { SSL_free(ssl); }
  tls_stream_state(const tls_stream_state&) = delete;
  tls_stream_state& operator=(const tls_stream_state&) = delete;

  // "127.0.0.1:4433 (example.com)", for messages. The address is taken at the start: a peer
  // that has gone has no address left to ask for.
  std::string peer() const {
    std::string p = address.empty() ? "a disconnected peer" : address;
    if (!host.empty()) p += " (" + host + ")";
    return p;
  }

  tcp_stream tcp;
  std::shared_ptr<tls_context_state> ctx;
  std::string host;
  std::string address;
  SSL* ssl = nullptr;
  BIO* in = nullptr;
  BIO* out = nullptr;
  bool flushing = false;
};

}  // namespace detail

namespace {

using state = detail::tls_stream_state;

constexpr std::size_t max_write_bytes = 64 * 1024;
// One TLS record with its overhead fits.
constexpr std::size_t read_chunk_bytes = 17 * 1024;

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Why OpenSSL failed: the certificate check's reason when that is what failed, else its error
// queue.
std::string reason(const state& s) {
  std::string why;
  const long v = SSL_get_verify_result(s.ssl);
  if (v != X509_V_OK && s.ctx->verify)
    why = std::string("certificate verify failed: ") + X509_verify_cert_error_string(v);
  const std::string queue = detail::take_openssl_errors();
  if (why.empty()) why = queue.empty() ? "unknown TLS error" : queue;
  return why;
}

[[noreturn]] void fail(const state& s, const char* what, const std::string& why) {
  throw tls_error(std::string("brigade::tls_stream::") + what + " with " + s.peer() + ": " + why);
}

// Sends whatever OpenSSL has queued. When another operation (a read and a write in flight
// together) is already sending, it sends ours too: two writes on the socket at once would
// interleave.
task<void> flush(state& s) {
  if (s.flushing) co_return;
  s.flushing = true;
  struct reset {
    bool& flag;
    ~reset() { flag = false; }
  } guard{s.flushing};
  while (const std::size_t pending = BIO_ctrl_pending(s.out)) {
    std::string chunk(std::min(pending, max_write_bytes * 2), '\0');
    const int n = BIO_read(s.out, chunk.data(), static_cast<int>(chunk.size()));
    if (n <= 0) break;
    chunk.resize(static_cast<std::size_t>(n));
    co_await s.tcp.write(chunk);
  }
}

// Reads from the socket into OpenSSL's input; false at end of stream.
task<bool> fill(state& s) {
  std::array<char, read_chunk_bytes> buf;
  const std::size_t n = co_await s.tcp.read(std::span<char>(buf));
  if (n == 0) co_return false;
  if (BIO_write(s.in, buf.data(), static_cast<int>(n)) != static_cast<int>(n))
    throw tls_error("brigade::tls_stream: out of memory for OpenSSL's input buffer");
  co_return true;
}

// Runs op (SSL_do_handshake, SSL_read, SSL_write) until it completes, moving bytes between
// OpenSSL's buffers and the socket. Returns op's result (> 0), or 0 at the peer's close_notify.
template <class Op>
task<int> drive(state& s, const char* what, Op op) {
  for (;;) {
    ERR_clear_error();
    const int r = op(s.ssl);
    const int err = r > 0 ? SSL_ERROR_NONE : SSL_get_error(s.ssl, r);
    if (err == SSL_ERROR_SSL || err == SSL_ERROR_SYSCALL) {
      const std::string why = reason(s);
      try {
        co_await flush(s);  // our alert, so that the peer learns why too
      } catch (const std::exception&) {
      }
      fail(s, what, why);
    }
    co_await flush(s);
    switch (err) {
      case SSL_ERROR_NONE:
        co_return r;
      case SSL_ERROR_ZERO_RETURN:
        co_return 0;
      case SSL_ERROR_WANT_READ:
        if (!co_await fill(s)) {
          fail(s, what,
               SSL_is_init_finished(s.ssl)
                   ? "the peer closed the connection without close_notify (truncated stream)"
                   : "the peer closed the connection during the handshake");
        }
        break;
      case SSL_ERROR_WANT_WRITE:
        break;  // flushed above
      default:
        fail(s, what, "unexpected OpenSSL state " + std::to_string(err));
    }
  }
}

}  // namespace

tls_stream::tls_stream() noexcept = default;
tls_stream::tls_stream(std::unique_ptr<detail::tls_stream_state> s) noexcept
    : state_(std::move(s)) {}
tls_stream::tls_stream(tls_stream&&) noexcept = default;
tls_stream& tls_stream::operator=(tls_stream&&) noexcept = default;
tls_stream::~tls_stream() = default;

tls_stream tls_stream::client(const tls_context& ctx, tcp_stream s, std::string host) {
  if (!ctx.state_ || ctx.state_->server)
    throw std::invalid_argument("brigade::tls_stream::client needs a client tls_context");
  auto st = std::make_unique<state>(ctx.state_, std::move(s), std::move(host));
  SSL_set_connect_state(st->ssl);
  if (!st->host.empty()) {
    // SNI is for DNS names only (RFC 6066); the certificate check takes either.
    // (SSL_set_tlsext_host_name, without the macro's C cast.)
    if (!is_ip_literal(st->host))
      SSL_ctrl(st->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(st->host.c_str()));
    if (ctx.state_->verify && SSL_set1_host(st->ssl, st->host.c_str()) != 1)
      throw tls_error("brigade::tls_stream::client: cannot check host name \"" + st->host +
                      "\": " + detail::take_openssl_errors());
  } else if (ctx.state_->verify) {
    throw std::invalid_argument(
        "brigade::tls_stream::client: a host name is needed to verify the server's certificate");
  }
  const std::string& alpn = ctx.state_->alpn_wire;
  if (!alpn.empty() &&
      SSL_set_alpn_protos(st->ssl, reinterpret_cast<const unsigned char*>(alpn.data()),
                          static_cast<unsigned int>(alpn.size())) != 0)
    throw tls_error("brigade::tls_stream::client: cannot set ALPN");
  return tls_stream(std::move(st));
}

tls_stream tls_stream::server(const tls_context& ctx, tcp_stream s) {
  if (!ctx.state_ || !ctx.state_->server)
    throw std::invalid_argument("brigade::tls_stream::server needs a server tls_context");
  auto st = std::make_unique<state>(ctx.state_, std::move(s), std::string());
  SSL_set_accept_state(st->ssl);
  return tls_stream(std::move(st));
}

task<tls_stream> tls_stream::connect(const tls_context& ctx, event_loop& loop, endpoint to,
                                     std::string host) {
  tls_stream s = client(ctx, co_await tcp_stream::connect(loop, to), std::move(host));
  co_await s.handshake();
  co_return s;
}

task<void> tls_stream::handshake() {
  co_await drive(*state_, "handshake", [](SSL* ssl) { return SSL_do_handshake(ssl); });
}

task<std::size_t> tls_stream::read(std::span<char> buf) {
  if (buf.empty()) co_return 0;
  const int len = static_cast<int>(std::min<std::size_t>(buf.size(), INT_MAX));
  const int n =
      co_await drive(*state_, "read", [&](SSL* ssl) { return SSL_read(ssl, buf.data(), len); });
  co_return static_cast<std::size_t>(n);
}

task<std::size_t> tls_stream::read(std::span<std::byte> buf) {
  co_return co_await read(std::span<char>(reinterpret_cast<char*>(buf.data()), buf.size()));
}

task<std::size_t> tls_stream::write_some(std::span<const std::byte> buf) {
  if (buf.empty()) co_return 0;
  const int len = static_cast<int>(std::min(buf.size(), max_write_bytes));
  const int n =
      co_await drive(*state_, "write", [&](SSL* ssl) { return SSL_write(ssl, buf.data(), len); });
  if (n == 0) fail(*state_, "write", "the peer closed the TLS session");
  co_return static_cast<std::size_t>(n);
}

task<std::size_t> tls_stream::write_some(std::string_view buf) {
  co_return co_await write_some(std::as_bytes(std::span(buf.data(), buf.size())));
}

task<void> tls_stream::write(std::span<const std::byte> buf) {
  while (!buf.empty()) buf = buf.subspan(co_await write_some(buf));
}

task<void> tls_stream::write(std::string_view buf) {
  co_await write(std::as_bytes(std::span(buf.data(), buf.size())));
}

task<void> tls_stream::wait_readable() {
  // Decrypted bytes, or bytes read from the socket that OpenSSL has not looked at yet (they came
  // with the handshake's last message, say): the socket may have nothing more to say.
  if (SSL_has_pending(state_->ssl) == 1 || BIO_ctrl_pending(state_->in) > 0) co_return;
  co_await state_->tcp.wait_readable();
}

task<void> tls_stream::shutdown() {
  state& s = *state_;
  if (!SSL_is_init_finished(s.ssl)) co_return;  // no session: nothing to close
  ERR_clear_error();
  // 0: our close_notify is queued (the peer's not seen yet); 1: both done.
  const int r = SSL_shutdown(s.ssl);
  if (r < 0) {
    const int err = SSL_get_error(s.ssl, r);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) fail(s, "shutdown", reason(s));
  }
  co_await flush(s);
}

std::string_view tls_stream::alpn_protocol() const noexcept {
  const unsigned char* p = nullptr;
  unsigned int n = 0;
  SSL_get0_alpn_selected(state_->ssl, &p, &n);
  return p == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(p), n);
}

std::string_view tls_stream::server_name() const noexcept {
  if (!state_->host.empty()) return state_->host;
  const char* n = SSL_get_servername(state_->ssl, TLSEXT_NAMETYPE_host_name);
  return n == nullptr ? std::string_view() : std::string_view(n);
}

std::string_view tls_stream::protocol_version() const noexcept {
  if (!SSL_is_init_finished(state_->ssl)) return {};
  return SSL_get_version(state_->ssl);
}

tcp_stream& tls_stream::tcp() noexcept {
  return state_->tcp;
}
int tls_stream::native_handle() const noexcept {
  return state_ ? state_->tcp.native_handle() : -1;
}
event_loop& tls_stream::loop() const noexcept {
  return state_->tcp.loop();
}
bool tls_stream::is_open() const noexcept {
  return state_ && state_->tcp.is_open();
}
void tls_stream::close() noexcept {
  if (state_) state_->tcp.close();
}

}  // namespace brigade
