// What the tls tests share: the certificates' directory, and OpenSSL's command line as a child.
#pragma once

#include "support/backends.hpp"

#include <brigade/io/tcp.hpp>
#include <brigade/tls/tls_stream.hpp>

#include <gtest/gtest.h>

#include <string>

namespace tls_test {

/// A file that make_certs.sh made (the tls_make_certs fixture).
inline std::string cert(const std::string& name) {
  return std::string(BRIGADE_TLS_CERTS) + "/" + name;
}

}  // namespace tls_test
