// The fixture of the kv_server tests: one server per test (started on port 0 by
// tests/web_server's child_process), stopped with SIGTERM at the end; a clean drain (exit
// code 0) and a log free of sanitizer reports are checked after every test.
#pragma once

#include "child_process.hpp"
#include "resp_client.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kv_test {

using web_test::run_program;
using web_test::run_result;
using web_test::server_process;

class kv_server_test : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!server_) return;
    if (server_->running()) {
      EXPECT_EQ(server_->stop(SIGTERM, 30s), 0) << "no clean drain; the server's log:\n"
                                                << server_->log();
    }
    const std::string log = server_->log();
    for (const char* bad : {"Sanitizer", "runtime error", "terminate called"})
      EXPECT_EQ(log.find(bad), std::string::npos) << "the server's log:\n" << log;
  }

  void start(std::vector<std::string> flags = {}) {
    server_ = std::make_unique<server_process>(std::move(flags));
  }
  std::uint16_t port() const { return server_->port(); }
  server_process& server() { return *server_; }

  /// redis-cli -p PORT args..., its stdout (and its stderr after it, if any).
  std::string cli(std::vector<std::string> args) const {
    if (std::string_view(KV_REDIS_CLI).empty())
      return "redis-cli not found: tools/install-deps.sh --tests installs redis-tools";
    std::vector<std::string> argv{KV_REDIS_CLI, "-p", std::to_string(port())};
    argv.insert(argv.end(), args.begin(), args.end());
    const run_result r = run_program(argv, 60s);
    return r.out + r.err;
  }

  /// The value of an INFO field, as a number (-1 when absent).
  long info_field(resp_connection& c, std::string_view name) {
    const std::string info = c.call({"INFO"});
    const std::size_t at = info.find(std::string(name) + ":");
    if (at == std::string::npos) return -1;
    return std::stol(info.substr(at + name.size() + 1));
  }

 private:
  std::unique_ptr<server_process> server_;
};

/// Polls `done` until it holds or `limit` passes (no sleep decides the outcome).
template <class F>
bool eventually(F done, std::chrono::milliseconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

}  // namespace kv_test
