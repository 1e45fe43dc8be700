// The fixture of the server tests: one web_server per test, on each event-loop backend
// (BRIGADE_IO=epoll and =uring), stopped with SIGTERM at the end. A suite may add a variant
// after a colon ("epoll:walk"); backend() is the part before it. A clean drain (exit code 0)
// and a log free of sanitizer reports are checked after every test.
#pragma once

#include "child_process.hpp"
#include "raw_client.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace web_test {

class server_test : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (backend() == "uring" && !uring_available())
      GTEST_SKIP() << "io_uring is not available here";
  }

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

  /// Starts the server with flags (and --port 0) on this test's backend, through `prefix`.
  void start(std::vector<std::string> flags = {}, std::vector<std::string> prefix = {}) {
    server_ = std::make_unique<server_process>(std::move(flags), backend_env(), std::move(prefix));
  }

  /// The event-loop backend of this test: its parameter up to a colon.
  std::string_view backend() const {
    const std::string_view param = GetParam();
    return param.substr(0, param.find(':'));
  }
  std::uint16_t port() const { return server_->port(); }
  server_process& server() { return *server_; }
  std::string url(std::string_view target) const {
    return "http://127.0.0.1:" + std::to_string(port()) + std::string(target);
  }

  /// curl with the given arguments (quiet but showing errors, no proxy, no ~/.curlrc).
  static run_result curl(std::vector<std::string> args) {
    std::vector<std::string> argv{WEB_SERVER_CURL, "-q", "-sS", "--noproxy", "*",
                                  "--max-time",    "30"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, 60s);
  }
  static bool have_curl() { return !std::string_view(WEB_SERVER_CURL).empty(); }

  /// A response curl received: the parsed head and the body.
  struct answer {
    http_response head;
    std::string body;
  };
  /// What curl printed (the head, then the body) as an answer; empty when there is no head.
  static answer answer_of(const run_result& r) {
    EXPECT_EQ(r.code, 0) << r.err;
    const std::size_t end = r.out.find("\r\n\r\n");
    if (end == std::string::npos) return {};
    return {parse_head(std::string_view(r.out).substr(0, end + 2)), r.out.substr(end + 4)};
  }
  /// curl with "-D -" and the given arguments: the response head, then the body, on stdout.
  static answer get(std::vector<std::string> args) {
    args.insert(args.begin(), {"-D", "-"});
    return answer_of(curl(std::move(args)));
  }

 private:
  std::vector<std::string> backend_env() const { return {"BRIGADE_IO=" + std::string(backend())}; }
  // Whether the kernel lets a loop use io_uring: asked once, of the server itself (with
  // BRIGADE_IO=uring it refuses to start without it).
  static bool uring_available() {
    static const bool yes = [] {
      try {
        server_process probe({}, {"BRIGADE_IO=uring"});
        return true;
      } catch (const std::exception&) {
        return false;
      }
    }();
    return yes;
  }

  std::unique_ptr<server_process> server_;
};

#define WEB_SERVER_ON_BACKENDS(suite)                                            \
  INSTANTIATE_TEST_SUITE_P(backends, suite, ::testing::Values("epoll", "uring"), \
                           [](const auto& case_info) { return std::string(case_info.param); })

}  // namespace web_test
