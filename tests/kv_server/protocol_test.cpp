// The protocol over raw sockets: pipelines split at every byte, and the limits against
// hostile clients (oversized bulks and multibulks, garbage, a client that never reads, too
// many clients, idle clients). After each, the server still serves.
#include "kv_fixture.hpp"

#include <poll.h>

#include <string>
#include <thread>
#include <vector>

namespace kv_test {
namespace {

class kv_protocol : public kv_server_test {};

// Commands and the replies they get, in order; the value holds CR LF and a '*' and a '$'.
const std::vector<std::pair<std::string, std::string>>& pipeline() {
  static const std::vector<std::pair<std::string, std::string>> p = {
      {encode({"SET", "k", "a\r\n*2$x"}), "OK"},
      {encode({"GET", "k"}), "a\r\n*2$x"},
      {"PING\r\n", "PONG"},
      {encode({"INCR", "n"}), "1"},
      {encode({"MGET", "k", "missing", "n"}), "[a\r\n*2$x, (nil), 1]"},
      {encode({"DEL", "n"}), "1"},
  };
  return p;
}

TEST_F(kv_protocol, a_pipeline_split_at_every_byte_boundary_is_answered_in_order) {
  start();
  std::string all;
  for (const auto& [req, rep] : pipeline()) all += req;
  for (std::size_t split = 1; split < all.size(); ++split) {
    resp_connection c(port());
    ASSERT_TRUE(c.send(all.substr(0, split)));
    // The replies to the commands wholly in the first part come before the rest is sent: the
    // server has seen the first part as a read of its own.
    std::size_t whole = 0;
    for (std::size_t used = 0; whole < pipeline().size(); ++whole) {
      used += pipeline()[whole].first.size();
      if (used > split) break;
    }
    for (std::size_t i = 0; i < whole; ++i)
      ASSERT_EQ(c.reply(), pipeline()[i].second) << "split at " << split;
    ASSERT_TRUE(c.send(all.substr(split)));
    for (std::size_t i = whole; i < pipeline().size(); ++i)
      ASSERT_EQ(c.reply(), pipeline()[i].second) << "split at " << split;
  }
}

TEST_F(kv_protocol, a_pipeline_sent_one_byte_at_a_time_is_answered_in_order) {
  start();
  resp_connection c(port());
  std::string all;
  for (const auto& [req, rep] : pipeline()) all += req;
  for (const char ch : all) ASSERT_TRUE(c.send(std::string(1, ch)));
  for (const auto& [req, rep] : pipeline()) EXPECT_EQ(c.reply(), rep);
}

TEST_F(kv_protocol, a_large_value_in_many_pieces_round_trips) {
  start();
  resp_connection c(port());
  std::string value(3 * 1024 * 1024 + 7, 'v');
  for (std::size_t i = 0; i < value.size(); i += 4099) value[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(c.send(encode({"SET", "big", value})));
  EXPECT_EQ(c.reply(), "OK");
  ASSERT_TRUE(c.send(encode({"GET", "big"})));
  EXPECT_EQ(c.reply(), value);
}

// Each: what the client sends, the error it gets, and whether the connection stays open.
struct hostile {
  std::string send;
  std::string error;
  bool closes;
};

TEST_F(kv_protocol, malformed_and_oversized_requests_get_redis_errors) {
  start({"--max-bulk", "1024"});
  const std::vector<hostile> cases = {
      {"*abc\r\n", "(error) ERR Protocol error: invalid multibulk length", true},
      {"*1048577\r\n", "(error) ERR Protocol error: invalid multibulk length", true},
      {"*1\r\nxyz\r\n", "(error) ERR Protocol error: expected '$', got 'x'", true},
      {"*2\r\n$3\r\nGET\r\n$1025\r\n", "(error) ERR Protocol error: invalid bulk length", true},
      {"*1\r\n$-5\r\n", "(error) ERR Protocol error: invalid bulk length", true},
      {"*1\r\n$4\r\nPINGxx", "(error) ERR Protocol error: bulk string not terminated by CRLF",
       true},
      {std::string(70 * 1024, '\x01'), "(error) ERR Protocol error: too big inline request", true},
      {std::string("\x00\xff\x7f junk\r\n", 10),
       "(error) ERR unknown command '" + std::string("\x00\xff\x7f", 3) +
           "', with args beginning with: 'junk' ",
       false},
  };
  for (const hostile& h : cases) {
    resp_connection c(port());
    ASSERT_TRUE(c.send(h.send));
    EXPECT_EQ(c.reply(), h.error) << testing::PrintToString(h.send.substr(0, 40));
    if (h.closes) {
      EXPECT_TRUE(c.closed_within(20s));
    } else {
      EXPECT_EQ(c.call({"PING"}), "PONG");
    }
  }
  resp_connection ok(port());
  EXPECT_EQ(ok.call({"SET", "k", std::string(1024, 'x')}), "OK");  // at the limit: fine
  EXPECT_EQ(ok.call({"PING"}), "PONG");
}

TEST_F(kv_protocol, a_client_that_never_reads_is_disconnected_and_the_others_are_served) {
  start({"--max-output", "65536", "--write-timeout", "0.5"});
  resp_connection observer(port());
  ASSERT_EQ(observer.call({"SET", "big", std::string(256 * 1024, 'b')}), "OK");
  resp_connection hostile_client(port());
  const std::string get = encode({"GET", "big"});
  std::string flood;
  for (int i = 0; i < 400; ++i) flood += get;  // 100 MiB of replies, never read
  std::size_t sent = 0;
  for (int tries = 0; tries < 1000 && sent < flood.size(); ++tries)
    sent += hostile_client.send_some(std::string_view(flood).substr(sent));
  EXPECT_TRUE(eventually([&] { return info_field(observer, "connected_clients") == 1; }))
      << info_field(observer, "connected_clients");
  EXPECT_EQ(observer.call({"PING"}), "PONG");
}

TEST_F(kv_protocol, maxclients_refuses_the_extra_client_with_an_error) {
  start({"--maxclients", "2"});
  resp_connection a(port());
  resp_connection b(port());
  EXPECT_EQ(a.call({"PING"}), "PONG");
  EXPECT_EQ(b.call({"PING"}), "PONG");
  resp_connection c(port());
  EXPECT_EQ(c.reply(), "(error) ERR max number of clients reached");
  EXPECT_TRUE(c.closed_within(20s));
  b.close();
  EXPECT_TRUE(eventually([&] { return info_field(a, "connected_clients") == 1; }));
  resp_connection d(port());
  EXPECT_EQ(d.call({"PING"}), "PONG");
}

TEST_F(kv_protocol, an_idle_client_is_closed_after_timeout) {
  start({"--timeout", "0.2"});
  resp_connection idle(port());
  EXPECT_EQ(idle.call({"PING"}), "PONG");
  EXPECT_TRUE(idle.closed_within(20s));
}

TEST_F(kv_protocol, many_clients_at_once_on_two_loops) {
  start({"--loops", "2"});
  constexpr int clients = 32, each = 200;
  std::vector<std::thread> threads;
  std::vector<std::string> failures(clients);
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      resp_connection c(port());
      std::string batch;
      for (int i = 0; i < each; ++i) batch += encode({"INCR", "counter"});
      batch += encode({"SET", "c" + std::to_string(t), std::to_string(t)});
      if (!c.send(batch)) failures[t] = "send failed";
      for (int i = 0; i < each; ++i)
        if (c.reply().find_first_not_of("0123456789") != std::string::npos)
          failures[t] = "a bad INCR reply";
      if (c.reply() != "OK") failures[t] = "a bad SET reply";
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& f : failures) EXPECT_EQ(f, "");
  resp_connection c(port());
  EXPECT_EQ(c.call({"GET", "counter"}), std::to_string(clients * each));
  EXPECT_EQ(c.call({"DBSIZE"}), std::to_string(clients + 1));
}

}  // namespace
}  // namespace kv_test
