// The normal paths, driven by a real client (curl): the hello world, keep-alive across several
// URLs, HTTP/1.0, HEAD, /compute and its validation, 404 and 405.
#include "server_fixture.hpp"

#include <string>

namespace web_test {
namespace {

class with_curl : public server_test {
 protected:
  void SetUp() override {
    server_test::SetUp();
    if (IsSkipped()) return;
    if (!have_curl())
      GTEST_FAIL() << "curl is not installed (tools/install-deps.sh --tests installs it)";
    start();
  }
};

TEST_P(with_curl, hello_world_is_13_bytes_of_plain_text) {
  const answer a = get({url("/")});
  EXPECT_EQ(a.head.status, 200);
  EXPECT_EQ(a.head.header("content-type"), "text/plain");
  EXPECT_EQ(a.head.header("content-length"), "13");
  EXPECT_EQ(a.body, "Hello, World!");
}

TEST_P(with_curl, keep_alive_serves_several_urls_on_one_connection) {
  // num_connects is 0 for a transfer that reused the connection of the one before.
  const run_result r = curl({"-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null", "-o",
                             "/dev/null", "-w", "%{http_code} %{num_connects}\\n", url("/"),
                             url("/compute?n=100"), url("/missing"), url("/")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "200 1\n200 0\n404 0\n200 0\n");
}

TEST_P(with_curl, http_1_0_gets_connection_close_unless_it_asks_for_keep_alive) {
  const answer a = get({"-0", url("/")});
  EXPECT_EQ(a.head.status, 200);
  EXPECT_EQ(a.head.header("connection"), "close");
  EXPECT_EQ(a.body, "Hello, World!");
  const run_result r =
      curl({"-0", "-H", "Connection: keep-alive", "-o", "/dev/null", "-o", "/dev/null", "-w",
            "%{http_code} %{num_connects}\\n", url("/"), url("/")});
  EXPECT_EQ(r.out, "200 1\n200 0\n") << r.err;
}

TEST_P(with_curl, connection_close_is_honoured) {
  const answer a = get({"-H", "Connection: close", url("/")});
  EXPECT_EQ(a.head.status, 200);
  EXPECT_EQ(a.head.header("connection"), "close");
}

TEST_P(with_curl, head_announces_the_length_without_a_body) {
  const run_result r = curl({"-I", url("/")});
  EXPECT_EQ(r.code, 0) << r.err;
  const http_response h = parse_head(r.out);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.header("content-length"), "13");
  EXPECT_TRUE(r.out.ends_with("\r\n\r\n")) << r.out;
}

TEST_P(with_curl, compute_counts_primes_on_the_pool) {
  const std::pair<const char*, const char*> cases[] = {
      {"0", "0"}, {"2", "0"}, {"3", "1"}, {"100", "25"}, {"200000", "17984"}, {"1000000", "78498"}};
  for (const auto& [n, primes] : cases) {
    const answer a = get({url(std::string("/compute?n=") + n)});
    EXPECT_EQ(a.head.status, 200) << n;
    EXPECT_EQ(a.body, std::string("primes below ") + n + ": " + primes + "\n");
  }
}

TEST_P(with_curl, compute_names_what_is_wrong_with_n) {
  const std::pair<const char*, const char*> cases[] = {
      {"/compute", "missing query parameter n"},
      {"/compute?x=1", "missing query parameter n"},
      {"/compute?n=", "whole number"},
      {"/compute?n=abc", "whole number, got \"abc\""},
      {"/compute?n=-5", "whole number"},
      {"/compute?n=12x", "whole number"},
      {"/compute?n=100000001", "too large: at most 100000000"},
      {"/compute?n=99999999999999999999999", "too large"}};
  for (const auto& [target, says] : cases) {
    const answer a = get({url(target)});
    EXPECT_EQ(a.head.status, 400) << target;
    EXPECT_NE(a.body.find(says), std::string::npos) << target << ": " << a.body;
  }
}

TEST_P(with_curl, unknown_paths_are_404) {
  for (const char* target : {"/nope", "/index.html", "/compute/more"})
    EXPECT_EQ(get({url(target)}).head.status, 404) << target;
}

TEST_P(with_curl, other_methods_are_405_with_allow) {
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    const answer a = get({"-X", method, "--data-binary", "x", url("/")});
    EXPECT_EQ(a.head.status, 405) << method;
    EXPECT_EQ(a.head.header("allow"), "GET, HEAD") << method;
  }
}

WEB_SERVER_ON_BACKENDS(with_curl);

}  // namespace
}  // namespace web_test
