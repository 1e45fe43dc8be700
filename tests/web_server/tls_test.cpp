// web_server --tls-cert/--tls-key: HTTPS for curl (--cacert: the test CA the tls tests make), with
// keep-alive and ALPN http/1.1; clients that fail the handshake do not harm the server.
#include "server_fixture.hpp"

#include <string>

namespace web_test {
namespace {

std::string cert(const std::string& name) {
  return std::string(WEB_SERVER_TLS_CERTS) + "/" + name;
}

class with_tls : public server_test {
 protected:
  void SetUp() override {
    server_test::SetUp();
    if (IsSkipped()) return;
    if (!have_curl())
      GTEST_FAIL() << "curl is not installed (tools/install-deps.sh --tests installs it)";
    start({"--tls-cert", cert("server.pem"), "--tls-key", cert("server.key")});
  }
  std::string https(std::string_view target) const {
    return "https://127.0.0.1:" + std::to_string(port()) + std::string(target);
  }
};

TEST_P(with_tls, curl_gets_hello_world_over_https_with_alpn_http_1_1) {
  const answer a = get({"--cacert", cert("ca.pem"), https("/")});
  EXPECT_EQ(a.head.status, 200);
  EXPECT_EQ(a.body, "Hello, World!");
  const run_result r =
      curl({"--cacert", cert("ca.pem"), "-o", "/dev/null", "-w", "%{http_version}", https("/")});
  EXPECT_EQ(r.out, "1.1") << r.err;
}

TEST_P(with_tls, keep_alive_serves_several_urls_on_one_connection) {
  const run_result r = curl({"--cacert", cert("ca.pem"), "-o", "/dev/null", "-o", "/dev/null", "-o",
                             "/dev/null", "-w", "%{http_code} %{num_connects}\\n", https("/"),
                             https("/compute?n=100"), https("/missing")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "200 1\n200 0\n404 0\n");
}

TEST_P(with_tls, untrusting_clients_and_plain_http_fail_and_the_server_goes_on) {
  const run_result untrusted = curl({"-o", "/dev/null", https("/")});
  EXPECT_EQ(untrusted.code, 60) << untrusted.err;  // CURLE_PEER_FAILED_VERIFICATION
  const run_result plain = curl({"-o", "/dev/null", url("/")});
  EXPECT_NE(plain.code, 0) << plain.out;
  const answer a = get({"--cacert", cert("ca.pem"), https("/")});
  EXPECT_EQ(a.body, "Hello, World!");
}

WEB_SERVER_ON_BACKENDS(with_tls);

}  // namespace
}  // namespace web_test
