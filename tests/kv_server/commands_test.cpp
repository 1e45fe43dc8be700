// Every command through redis-cli, compared with what redis-cli prints against redis-server
// (the expected texts were taken from redis-server 7.0): replies, errors, and expiry.
#include "kv_fixture.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kv_test {
namespace {

class kv_commands : public kv_server_test {
 protected:
  void every_command_as_redis_cli_shows_it();
};

// Both backends: epoll (the default) and io_uring.
TEST_F(kv_commands, every_command_as_redis_cli_shows_it) {
  start({"--io", "epoll"});
  // The line comes on stderr just after the port on stdout: polled.
  EXPECT_TRUE(eventually([&] { return server().log().find("(epoll)") != std::string::npos; }))
      << server().log();
  every_command_as_redis_cli_shows_it();
}

TEST_F(kv_commands, every_command_as_redis_cli_shows_it_on_io_uring) {
  start({"--io", "uring"});
  EXPECT_TRUE(eventually([&] { return server().log().find("(io_uring)") != std::string::npos; }))
      << server().log();
  every_command_as_redis_cli_shows_it();
}

void kv_commands::every_command_as_redis_cli_shows_it() {
  // redis-cli without a terminal: one line per value, an error followed by an empty line,
  // (nil) as an empty line.
  const std::vector<std::pair<std::vector<std::string>, std::string>> script = {
      {{"PING"}, "PONG\n"},
      {{"ping", "hello"}, "hello\n"},
      {{"ECHO", "hi there"}, "hi there\n"},
      {{"SET", "a", "1"}, "OK\n"},
      {{"GET", "a"}, "1\n"},
      {{"GET", "missing"}, "\n"},
      {{"INCR", "a"}, "2\n"},
      {{"INCRBY", "a", "10"}, "12\n"},
      {{"DECR", "a"}, "11\n"},
      {{"INCRBY", "a", "x"}, "ERR value is not an integer or out of range\n\n"},
      {{"SET", "s", "hello"}, "OK\n"},
      {{"INCR", "s"}, "ERR value is not an integer or out of range\n\n"},
      {{"SET", "big", "9223372036854775807"}, "OK\n"},
      {{"INCR", "big"}, "ERR increment or decrement would overflow\n\n"},
      {{"INCR", "fresh"}, "1\n"},
      {{"MSET", "x", "1", "y", "2", "z", "3"}, "OK\n"},
      {{"MSET", "x"}, "ERR wrong number of arguments for 'mset' command\n\n"},
      {{"MGET", "x", "nope", "z"}, "1\n\n3\n"},
      {{"EXISTS", "a", "s", "nope", "a"}, "3\n"},
      {{"DEL", "x", "y", "nope"}, "2\n"},
      {{"DBSIZE"}, "5\n"},
      {{"SET", "k", "v", "NX"}, "OK\n"},
      {{"SET", "k", "w", "NX"}, "\n"},
      {{"SET", "k", "w", "XX"}, "OK\n"},
      {{"SET", "none", "v", "XX"}, "\n"},
      {{"SET", "k", "v", "NX", "XX"}, "ERR syntax error\n\n"},
      {{"SET", "k", "v", "EX", "0"}, "ERR invalid expire time in 'set' command\n\n"},
      {{"SET", "k", "v", "EX", "soon"}, "ERR value is not an integer or out of range\n\n"},
      {{"SET", "k", "v", "PX"}, "ERR syntax error\n\n"},
      {{"SET", "k", "v", "EX", "100"}, "OK\n"},
      {{"TTL", "k"}, "100\n"},
      {{"TTL", "a"}, "-1\n"},
      {{"TTL", "nope"}, "-2\n"},
      {{"EXPIRE", "a", "50"}, "1\n"},
      {{"TTL", "a"}, "50\n"},
      {{"EXPIRE", "nope", "50"}, "0\n"},
      {{"EXPIRE", "a", "ten"}, "ERR value is not an integer or out of range\n\n"},
      {{"GET"}, "ERR wrong number of arguments for 'get' command\n\n"},
      {{"FOO", "bar", "baz"},
       "ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' \n\n"},
      {{"SUMPREFIX", "fr"}, "1\n1\n"},
      {{"SUMPREFIX", ""}, "ERR the sum overflows a 64-bit integer\n\n"},  // big + a + ...
      {{"SCAN", "x"}, "ERR invalid cursor\n\n"},
      {{"FLUSHALL"}, "OK\n"},
      {{"DBSIZE"}, "0\n"},
      {{"QUIT"}, "OK\n"},
  };
  for (const auto& [args, expected] : script) {
    if (args[0] == "FLUSHALL") {  // KEYS lists in the table's order: sorted here
      std::string keys = cli({"KEYS", "[ks]*"});
      EXPECT_TRUE(keys == "k\ns\n" || keys == "s\nk\n") << keys;
    }
    EXPECT_EQ(cli(args), expected) << testing::PrintToString(args);
  }
}

TEST_F(kv_commands, keys_scan_and_sumprefix_see_every_key_once) {
  start();
  resp_connection c(port());
  std::string batch;
  for (int i = 0; i < 3000; ++i)
    batch += encode({"SET", "n:" + std::to_string(i), std::to_string(i)});
  batch += encode({"SET", "n:text", "not a number"});
  batch += encode({"SET", "other", "5"});
  ASSERT_TRUE(c.send(batch));
  for (int i = 0; i < 3002; ++i) ASSERT_EQ(c.reply(), "OK");
  EXPECT_EQ(c.call({"SUMPREFIX", "n:"}), "[4498500, 3000]");  // 0 + 1 + ... + 2999
  EXPECT_EQ(c.call({"KEYS", "n:29[9]9"}), "[n:2999]");
  EXPECT_EQ(c.call({"KEYS", "n:[^0-9]*"}), "[n:text]");
  const std::string all = c.call({"KEYS", "*"});
  EXPECT_EQ(std::count(all.begin(), all.end(), ','), 3001);
  // SCAN: each key once, the cursor back at 0 at the end.
  std::set<std::string> seen;
  std::string cursor = "0";
  int steps = 0;
  do {
    ASSERT_TRUE(c.send(encode({"SCAN", cursor, "MATCH", "n:1*", "COUNT", "100"})));
    const std::optional<std::string> r = c.read_reply();
    ASSERT_TRUE(r);
    // *2 $len cursor *n keys...
    std::size_t at = r->find("\r\n", r->find("\r\n") + 2) + 2;
    cursor = r->substr(at, r->find("\r\n", at) - at);
    at = r->find("\r\n", at) + 2;
    const std::size_t n = std::stoul(r->substr(at + 1));
    at = r->find("\r\n", at) + 2;
    for (std::size_t i = 0; i < n; ++i) {
      at = r->find("\r\n", at) + 2;
      const std::size_t end = r->find("\r\n", at);
      EXPECT_TRUE(seen.insert(r->substr(at, end - at)).second);
      at = end + 2;
    }
    ASSERT_LT(++steps, 5000);
  } while (cursor != "0");
  EXPECT_EQ(seen.size(), 1111u);  // n:1, n:10..19, n:100..199, n:1000..1999
}

TEST_F(kv_commands, keys_expire_lazily_and_by_the_sweep) {
  start();
  resp_connection c(port());
  EXPECT_EQ(c.call({"SET", "short", "v", "PX", "30"}), "OK");
  EXPECT_EQ(c.call({"SET", "long", "v", "PX", "600000"}), "OK");
  EXPECT_TRUE(eventually([&] { return c.call({"GET", "short"}) == "(nil)"; }));
  EXPECT_EQ(c.call({"TTL", "short"}), "-2");
  EXPECT_EQ(c.call({"GET", "long"}), "v");
  const int ttl = std::stoi(c.call({"PTTL", "long"}));
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 600000);
  // Keys that nobody reads again go by the periodic sweep: DBSIZE counts them until then.
  std::string batch;
  for (int i = 0; i < 500; ++i) batch += encode({"SET", "t" + std::to_string(i), "v", "PX", "20"});
  ASSERT_TRUE(c.send(batch));
  for (int i = 0; i < 500; ++i) ASSERT_EQ(c.reply(), "OK");
  EXPECT_TRUE(eventually([&] { return c.call({"DBSIZE"}) == "1"; })) << c.call({"DBSIZE"});
  EXPECT_GE(info_field(c, "expired_keys"), 500);
  EXPECT_EQ(c.call({"PEXPIRE", "long", "-1"}), "1");
  EXPECT_EQ(c.call({"EXISTS", "long"}), "0");
}

TEST_F(kv_commands, inline_commands_work_as_in_redis) {
  start();
  resp_connection c(port());
  ASSERT_TRUE(c.send("PING\r\nset  k   v\nGET k\r\n\r\nECHO\r\n"));
  EXPECT_EQ(c.reply(), "PONG");
  EXPECT_EQ(c.reply(), "OK");
  EXPECT_EQ(c.reply(), "v");
  EXPECT_EQ(c.reply(), "(error) ERR wrong number of arguments for 'echo' command");
}

}  // namespace
}  // namespace kv_test
