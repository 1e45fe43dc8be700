// The hybrid: heavy commands on the pool while the loop keeps answering, their cancellation
// when the client hangs up, and the process's life (flags, the drain on SIGTERM).
#include "kv_fixture.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace kv_test {
namespace {

class kv_hybrid : public kv_server_test {
 protected:
  // n keys "key:<i>" = i, loaded with pipelined MSETs of 1000 keys.
  void load(resp_connection& c, int n) {
    std::string batch;
    int batches = 0;
    for (int i = 0; i < n; i += 1000, ++batches) {
      std::vector<std::string> args{"MSET"};
      for (int j = i; j < std::min(n, i + 1000); ++j) {
        args.push_back("key:" + std::to_string(j));
        args.push_back(std::to_string(j));
      }
      batch += encode(args);
    }
    ASSERT_TRUE(c.send(batch));
    for (int i = 0; i < batches; ++i) ASSERT_EQ(c.reply(), "OK");
  }
};

TEST_F(kv_hybrid, a_get_is_answered_while_keys_runs_over_200k_keys) {
  start({"--threads", "1"});
  resp_connection loader(port());
  load(loader, 200'000);
  resp_connection heavy(port());
  ASSERT_TRUE(heavy.send(encode({"KEYS", "key:*"})));
  // Once the KEYS is running on the pool, a GET from another client is answered before it.
  ASSERT_TRUE(eventually([&] { return info_field(loader, "heavy_commands_running") == 1; }));
  EXPECT_EQ(loader.call({"GET", "key:4242"}), "4242");
  EXPECT_FALSE(heavy.reply_ready()) << "KEYS finished before the GET was answered";
  const std::optional<std::string> keys = heavy.read_reply(60s);
  ASSERT_TRUE(keys);
  EXPECT_TRUE(keys->starts_with("*200000\r\n")) << keys->substr(0, 20);
  EXPECT_EQ(info_field(loader, "heavy_commands_done"), 1);
}

TEST_F(kv_hybrid, a_heavy_command_stops_when_its_client_hangs_up) {
  start();
  resp_connection watcher(port());
  {
    resp_connection sleeper(port());
    ASSERT_TRUE(sleeper.send(encode({"DEBUG", "SLEEP", "600"})));
    ASSERT_TRUE(eventually([&] { return info_field(watcher, "heavy_commands_running") == 1; }));
    EXPECT_EQ(watcher.call({"PING"}), "PONG");
  }  // hangs up
  EXPECT_TRUE(eventually([&] { return info_field(watcher, "heavy_commands_cancelled") == 1; }));
  EXPECT_EQ(info_field(watcher, "heavy_commands_running"), 0);
  EXPECT_TRUE(eventually([&] { return info_field(watcher, "connected_clients") == 1; }));
}

TEST_F(kv_hybrid, sumprefix_and_keys_agree_with_the_data) {
  start({"--threads", "2"});
  resp_connection c(port());
  load(c, 20'000);
  EXPECT_EQ(c.call({"SUMPREFIX", "key:"}), "[199990000, 20000]");
  EXPECT_EQ(c.call({"SUMPREFIX", "key:1999"}), "[201944, 11]");  // 1999 and 19990..19999
  EXPECT_EQ(c.call({"KEYS", "key:1999?"}),
            c.call({"KEYS", "key:1999[0-9]"}));  // same pattern, same (table) order
  EXPECT_EQ(c.call({"FLUSHALL"}), "OK");
  EXPECT_EQ(c.call({"DBSIZE"}), "0");
}

TEST_F(kv_hybrid, sigterm_lets_a_running_command_finish_and_exits_0) {
  start();
  resp_connection idle(port());
  EXPECT_EQ(idle.call({"PING"}), "PONG");
  resp_connection busy(port());
  ASSERT_TRUE(busy.send(encode({"DEBUG", "SLEEP", "0.3"})));
  ASSERT_TRUE(eventually([&] { return info_field(idle, "heavy_commands_running") == 1; }));
  EXPECT_EQ(server().stop(SIGTERM, 30s), 0) << server().log();
  EXPECT_EQ(busy.reply(), "OK");
  EXPECT_TRUE(busy.closed_within(20s));
  EXPECT_TRUE(idle.closed_within(20s));
  EXPECT_NE(server().log().find("drained"), std::string::npos) << server().log();
}

TEST(kv_flags, help_lists_every_flag_and_a_bad_flag_is_one_line) {
  const run_result help = run_program({web_test::server_binary(), "--help"}, 30s);
  EXPECT_EQ(help.code, 0) << help.err;
  for (const char* flag : {"--port", "--bind", "--loops", "--threads", "--maxclients", "--timeout",
                           "--trace", "--max-bulk", "--max-output", "--io"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{{"--port", "abc"},
                                                                             {"--loops", "0"},
                                                                             {"--bind", "nowhere"},
                                                                             {"--bogus"},
                                                                             {"--io", "kqueue"}}) {
    args.insert(args.begin(), web_test::server_binary());
    const run_result r = run_program(args, 30s);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.err.starts_with("kv_server: ")) << r.err;
  }
}

}  // namespace
}  // namespace kv_test
