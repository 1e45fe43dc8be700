// brigade::tls_stream against OpenSSL's own programs: a brigade client of `openssl s_server`, and
// a brigade server for `openssl s_client`, on each backend.
#include "tls_test_support.hpp"

#include <brigade/core/when_all.hpp>
#include <brigade/io/process.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using brigade::testing::on_loop;
using tls_test::cert;

// `openssl ARGS...` as a child: stdin from `input` (then closed), stdout and stderr to a file.
class openssl_child {
 public:
  openssl_child(std::vector<std::string> args, const std::string& input) {
    using stdio = brigade::process::stdio;
    log_ = ::testing::TempDir() + "openssl_child_" + std::to_string(::getpid()) + "_" +
           std::to_string(counter_++) + ".log";
    args.insert(args.begin(), BRIGADE_OPENSSL);
    int in[2];
    if (::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    const int log = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    try {
      process_ = brigade::process(
          loop_, std::move(args),
          {.in = stdio::from_fd(in[0]), .out = stdio::from_fd(log), .err = stdio::from_fd(log)});
    } catch (...) {
      for (const int fd : {in[0], in[1], log})
        if (fd >= 0) ::close(fd);
      throw;
    }
    ::close(in[0]);
    ::close(log);
    if (!input.empty()) (void)!::write(in[1], input.data(), input.size());
    ::close(in[1]);
  }
  openssl_child(const openssl_child&) = delete;
  openssl_child& operator=(const openssl_child&) = delete;

  std::string output() const {
    std::ifstream f(log_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  // Polls the child's output (an outside program: there is nothing to wait on) for `what`.
  bool wait_for_output(const std::string& what, std::chrono::seconds limit) const {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (output().find(what) != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  // The exit code (128 + signal), or -1 if it runs past limit (then it is killed, as it is when
  // this object goes before it ended).
  int wait(std::chrono::seconds limit) {
    const std::optional<brigade::exit_status> s = process_.try_wait_for(limit);
    return s ? s->code : -1;
  }

 private:
  static inline int counter_ = 0;
  // The child's; never run: the waits here block.
  brigade::event_loop loop_{brigade::event_loop::options{brigade::io_backend::epoll}};
  brigade::process process_;
  std::string log_;
};

// A port that was free a moment ago (s_server wants a number). A plain socket: a listener's
// close waits for its loop to run.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("free_port");
  ::close(fd);
  return ntohs(a.sin_port);
}

class tls_openssl : public on_loop {};

TEST_P(tls_openssl, a_brigade_client_talks_to_openssl_s_server) {
  const std::uint16_t port = free_port();
  openssl_child server(
      {"s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert", cert("server.pem"),
       "-key", cert("server.key"), "-alpn", "http/1.1", "-www", "-naccept", "1"},
      "");
  ASSERT_TRUE(server.wait_for_output("ACCEPT", 10s)) << server.output();
  const auto ctx =
      brigade::tls_context::client({.alpn = {"h2", "http/1.1"}, .ca_file = cert("ca.pem")});
  auto client = [&]() -> brigade::task<std::string> {
    auto s = co_await brigade::tls_stream::connect(
        ctx, loop(), brigade::endpoint::parse("127.0.0.1:" + std::to_string(port)), "localhost");
    EXPECT_EQ(s.alpn_protocol(), "http/1.1");
    co_await s.write(std::string_view("GET / HTTP/1.0\r\n\r\n"));
    std::string got;
    char buf[4096];
    for (;;) {
      const std::size_t n = co_await s.read(std::span<char>(buf));
      if (n == 0) break;
      got.append(buf, n);
    }
    co_return got;
  };
  const std::string page = loop().run_until(client());
  EXPECT_TRUE(page.starts_with("HTTP/1.0 200 ok")) << page;
  EXPECT_NE(page.find("TLSv1.3"), std::string::npos) << page;
}

TEST_P(tls_openssl, a_brigade_server_answers_openssl_s_client) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  const std::uint16_t port = l.local_endpoint().port();
  const auto ctx = brigade::tls_context::server(
      {.cert_file = cert("server.pem"), .key_file = cert("server.key"), .alpn = {"http/1.1"}});
  openssl_child client(
      {"s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-CAfile", cert("ca.pem"),
       "-verify_return_error", "-servername", "localhost", "-alpn", "http/1.1"},
      "hello\n");
  auto server = [&]() -> brigade::task<std::string> {
    auto s = brigade::tls_stream::server(ctx, co_await l.accept());
    co_await s.handshake();
    std::string seen = std::string(s.alpn_protocol()) + " " + std::string(s.server_name());
    std::string line;
    char buf[256];
    try {
      while (line.find('\n') == std::string::npos) {
        const std::size_t n = co_await s.read(std::span<char>(buf));
        if (n == 0) break;
        line.append(buf, n);
      }
      co_await s.write(std::string_view("echo: "));
      co_await s.shutdown();
    } catch (const std::exception&) {
      // s_client may leave as soon as its input ends
    }
    co_return seen + " " + line;
  };
  EXPECT_EQ(loop().run_until(server()), "http/1.1 localhost hello\n");
  EXPECT_EQ(client.wait(20s), 0) << client.output();
  EXPECT_NE(client.output().find("Verify return code: 0 (ok)"), std::string::npos)
      << client.output();
}

BRIGADE_INSTANTIATE_ON_BACKENDS(tls_openssl);

}  // namespace
