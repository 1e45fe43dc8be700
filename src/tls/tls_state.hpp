// The OpenSSL objects behind tls_context and tls_stream, shared by the two source files.
#pragma once

#include <brigade/io/tcp.hpp>
#include <brigade/tls/tls_stream.hpp>

#include <openssl/ssl.h>

#include <string>
#include <vector>

namespace brigade::detail {

struct tls_context_state {
  explicit tls_context_state(SSL_CTX* c) noexcept : ctx(c) {}
  ~tls_context_state() { SSL_CTX_free(ctx); }
  tls_context_state(const tls_context_state&) = delete;
  tls_context_state& operator=(const tls_context_state&) = delete;

  SSL_CTX* ctx;
  bool server = false;
  bool verify = true;
  std::string alpn_wire;  ///< the ALPN list in its wire format (length-prefixed names)
};

/// OpenSSL's error queue (emptied) as text, "" when empty.
std::string take_openssl_errors();

}  // namespace brigade::detail
