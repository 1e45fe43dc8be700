// tls_context: an SSL_CTX configured for a client (verification on) or a server (certificate,
// key, ALPN selection).
#include "tls_state.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

namespace brigade {
namespace detail {

std::string take_openssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace detail

namespace {

std::string wire_format(const std::vector<std::string>& protocols) {
  std::string out;
  for (const std::string& p : protocols) {
    if (p.empty() || p.size() > 255)
      throw std::invalid_argument(
          "brigade::tls_context: an ALPN protocol name must be 1 to 255 "
          "bytes, got \"" +
          p + "\"");
    out += static_cast<char>(p.size());
    out += p;
  }
  return out;
}

[[noreturn]] void fail(const std::string& what) {
  const std::string why = detail::take_openssl_errors();
  throw tls_error("brigade::tls_context: " + what + (why.empty() ? "" : ": " + why));
}

std::shared_ptr<detail::tls_context_state> make_state(const SSL_METHOD* method) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (ctx == nullptr) fail("SSL_CTX_new failed");
  auto s = std::make_shared<detail::tls_context_state>(ctx);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // No renegotiation: a write then never needs to read (one read and one write in flight).
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  // The memory buffers grow as needed: SSL_write takes everything it is given.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
  return s;
}

// The server's ALPN choice: its own order of preference, the first the client offers too.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
  const auto* s = static_cast<const detail::tls_context_state*>(arg);
  const auto* ours = reinterpret_cast<const unsigned char*>(s->alpn_wire.data());
  const auto ours_len = static_cast<unsigned int>(s->alpn_wire.size());
  for (unsigned int i = 0; i < ours_len; i += 1u + ours[i]) {
    for (unsigned int j = 0; j < inlen; j += 1u + in[j]) {
      if (in[j] == ours[i] && std::equal(in + j + 1, in + j + 1 + in[j], ours + i + 1)) {
        *out = in + j + 1;
        *outlen = in[j];
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_NOACK;  // no common protocol: go on without ALPN
}

}  // namespace

tls_context tls_context::client(client_options o) {
  tls_context c;
  c.state_ = make_state(TLS_client_method());
  SSL_CTX* ctx = c.state_->ctx;
  c.state_->alpn_wire = wire_format(o.alpn);
  c.state_->verify = !o.insecure_skip_verification;
  if (c.state_->verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (o.system_ca && SSL_CTX_set_default_verify_paths(ctx) != 1)
      fail("cannot load the system's CA certificates");
    if (!o.ca_file.empty() && SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr) != 1)
      fail("cannot load CA file " + o.ca_file);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return c;
}

tls_context tls_context::server(server_options o) {
  tls_context c;
  c.state_ = make_state(TLS_server_method());
  c.state_->server = true;
  SSL_CTX* ctx = c.state_->ctx;
  c.state_->alpn_wire = wire_format(o.alpn);
  if (o.cert_file.empty() || o.key_file.empty())
    throw tls_error("brigade::tls_context::server: a certificate file and a key file are needed");
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) != 1)
    fail("cannot use certificate file " + o.cert_file);
  if (SSL_CTX_use_PrivateKey_file(ctx, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    fail("cannot use key file " + o.key_file + " with certificate file " + o.cert_file);
  if (SSL_CTX_check_private_key(ctx) != 1)
    fail("key file " + o.key_file + " does not match certificate file " + o.cert_file);
  if (!c.state_->alpn_wire.empty()) SSL_CTX_set_alpn_select_cb(ctx, select_alpn, c.state_.get());
  return c;
}

tls_context tls_context::client() {
  return client(client_options{});
}

bool tls_context::is_server() const noexcept {
  return state_ && state_->server;
}

}  // namespace brigade
