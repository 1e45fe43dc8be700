// The limits that let the server survive hostile clients: header size (431), body size (413),
// the header timeout (slowloris), the idle timeout, --max-connections, and random garbage.
// The timeouts are the only timing these tests depend on, with wide margins.
#include "server_fixture.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace web_test {
namespace {

using steady = std::chrono::steady_clock;

class limits : public server_test {};

// Sends req (the server may close before reading all of it) and returns the answer's status.
int status_of(std::uint16_t port, const std::string& req, bool expect_close) {
  raw_connection c(port);
  c.send(req);
  const auto r = c.read_response();
  if (!r) return 0;
  if (expect_close) {
    EXPECT_TRUE(c.closed_within(20s)) << r->status;
  }
  return r->status;
}

TEST_P(limits, oversized_headers_get_431) {
  start();
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 400; ++i) many += "X-Header-" + std::to_string(i) + ": some value\r\n";
  EXPECT_EQ(status_of(port(), many + "\r\n", true), 431);
  EXPECT_EQ(
      status_of(port(), "GET / HTTP/1.1\r\nX-Big: " + std::string(10000, 'a') + "\r\n\r\n", true),
      431);
  EXPECT_EQ(status_of(port(), "GET /" + std::string(9000, 'u') + " HTTP/1.1\r\n\r\n", true), 431);
  // A header that never ends counts too.
  EXPECT_EQ(status_of(port(), "GET / HTTP/1.1\r\nX-Endless: " + std::string(20000, 'e'), true),
            431);
  // Just under the limit is fine.
  EXPECT_EQ(status_of(port(),
                      "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(7000, 'a') + "\r\n\r\n",
                      false),
            200);
}

TEST_P(limits, oversized_bodies_get_413) {
  start();
  // Refused on the announced length, before any body byte arrives.
  EXPECT_EQ(
      status_of(port(), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n", true),
      413);
  EXPECT_EQ(status_of(port(), "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", true),
            413);
  // A chunked body has no announced length: refused once it has grown past the limit.
  std::string chunked = "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'c') + "\r\n";
  for (int i = 0; i < 17; ++i) chunked += chunk;  // 17 * 64 KiB > 1 MiB
  EXPECT_EQ(status_of(port(), chunked + "0\r\n\r\n", true), 413);
  // Exactly the limit is fine.
  EXPECT_EQ(status_of(port(),
                      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" +
                          std::string(1048576, 'b'),
                      false),
            200);
}

TEST_P(limits, slowloris_is_cut_off_by_the_header_timeout) {
  start({"--header-timeout", "1"});
  raw_connection stalled(port());
  ASSERT_TRUE(stalled.send("GET / HTTP/1.1\r\nHost: x\r\n"));
  raw_connection trickling(port());
  ASSERT_TRUE(trickling.send("GET / HTTP/1.1\r\nHost: x\r\n"));
  // A header line every 100 ms: progress must not move the deadline.
  const auto give_up = steady::now() + 20s;
  bool closed = false;
  while (!closed && steady::now() < give_up) {
    trickling.send("X-Slow: 1\r\n");
    closed = trickling.closed_within(100ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_TRUE(stalled.closed_within(20s));
  EXPECT_FALSE(stalled.read_response(10ms));  // closed without an answer
  const auto r = fetch(port(), "/");          // everyone else is still served
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_P(limits, idle_connections_are_closed_after_the_idle_timeout) {
  start({"--idle-timeout", "2"});
  // Active: a request every 200 ms keeps the connection well past the timeout.
  raw_connection active(port());
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(active.send(get_request("/"))) << i;
    ASSERT_TRUE(active.read_response()) << i;
    std::this_thread::sleep_for(200ms);  // the client's think time, part of what is tested
  }
  // Idle after a request, or silent from the start: closed.
  EXPECT_TRUE(active.closed_within(20s));
  raw_connection silent(port());
  EXPECT_TRUE(silent.closed_within(20s));
}

TEST_P(limits, at_max_connections_the_longest_idle_connection_makes_room) {
  start({"--max-connections", "2"});
  raw_connection older(port());
  ASSERT_TRUE(older.send(get_request("/")));
  ASSERT_TRUE(older.read_response());
  raw_connection newer(port());
  ASSERT_TRUE(newer.send(get_request("/")));
  ASSERT_TRUE(newer.read_response());
  // Both wait between requests: the newcomer is served, and the one idle longest is closed
  // (without a word, as a keep-alive connection may be at any time).
  raw_connection newcomer(port());
  ASSERT_TRUE(newcomer.send(get_request("/")));
  const auto r = newcomer.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(older.closed_within(20s));
  ASSERT_TRUE(newer.send(get_request("/")));
  const auto still = newer.read_response();
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);
}

TEST_P(limits, at_max_connections_busy_connections_turn_the_excess_away) {
  start({"--max-connections", "2", "--header-timeout", "60"});
  // Two connections in the middle of a request: neither is idle.
  raw_connection a(port());
  raw_connection b(port());
  for (raw_connection* c : {&a, &b}) ASSERT_TRUE(c->send("GET / HTTP/1.1\r\nHost: x\r\n"));
  {
    raw_connection excess(port());
    const auto r = excess.read_response();  // a 503, or closed without a word
    if (r) {
      EXPECT_EQ(r->status, 503);
    }
    EXPECT_TRUE(excess.closed_within(20s));
  }
  ASSERT_TRUE(a.send("\r\n"));  // the busy ones finish their requests, untouched
  const auto done = a.read_response();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 200);
  // Once one closes, a newcomer gets in; the server notices the close on its own time.
  b.close();
  bool served = false;
  for (int i = 0; i < 200 && !served; ++i) {
    const auto r = fetch(port(), "/");
    served = r && r->status == 200;
    if (!served) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(served);
}

TEST_P(limits, running_out_of_descriptors_is_survived) {
  if (::access("/usr/bin/prlimit", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/prlimit";
  // UBSan checks an exception object's type through a pipe the first time it meets it; with no
  // descriptor left it reports a false "invalid vptr" (io_tests' descriptor case sees it too).
  if (WEB_SERVER_UBSAN) GTEST_SKIP() << "UBSan's vptr check needs free descriptors";
  // 64 descriptors: fewer than the connections below, so accept fails with EMFILE for a while.
  start({"--idle-timeout", "60"}, {"/usr/bin/prlimit", "--nofile=64:64", "--"});
  std::vector<std::unique_ptr<raw_connection>> hogs;
  for (int i = 0; i < 100; ++i) hogs.push_back(std::make_unique<raw_connection>(port()));
  EXPECT_TRUE(hogs.front()->send(get_request("/")));
  const auto first = hogs.front()->read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  hogs.clear();  // the server gets its descriptors back and accepts what waited
  bool served = false;
  for (int i = 0; i < 200 && !served; ++i) {
    const auto r = fetch(port(), "/");
    served = r && r->status == 200;
    if (!served) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(served);
}

TEST_P(limits, random_garbage_does_not_hurt_the_server) {
  start({"--header-timeout", "2"});
  const unsigned seed = std::random_device{}();
  std::printf("random_garbage seed: %u\n", seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::vector<std::unique_ptr<raw_connection>> stalled;
  for (int i = 0; i < 100; ++i) {
    auto c = std::make_unique<raw_connection>(port());
    std::string junk(rng() % 4096 + 1, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    if (i % 3 == 0) junk = "GET /" + junk;           // past the method, into the target and headers
    if (i % 5 == 0) junk = get_request("/") + junk;  // a good request, then junk
    c->send(junk);
    if (i % 2 == 0) stalled.push_back(std::move(c));  // half stay open
  }
  for (int i = 0; i < 5; ++i) {
    const auto r = fetch(port(), "/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "Hello, World!");
  }
}

WEB_SERVER_ON_BACKENDS(limits);

}  // namespace
}  // namespace web_test
