// Peers that misbehave at the transport level: a reset in the middle of a request, a reset in the
// middle of a large response, and a client that asks for a large file and never reads it. The
// server must drop each such connection, keep serving everyone else, and drain cleanly at the end
// (the fixture checks exit code 0 and a log without sanitizer reports).
#include "server_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace web_test {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t big_size = 32 * 1024 * 1024;  // far more than the socket buffers hold

// A plain blocking TCP socket to 127.0.0.1:port with a small receive buffer, so that a response
// the client does not read backs up into the server at once.
int connect_small(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  const int rcvbuf = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

// Closes with a reset (RST) instead of an orderly FIN: SO_LINGER with a zero timeout.
void reset(int fd) {
  const linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

void send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

class hostile_peers : public server_test {
 protected:
  void SetUp() override {
    server_test::SetUp();
    if (IsSkipped()) return;
    char tmpl[] = "/tmp/web_server_hostile_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    std::ofstream(root_ / "big.bin", std::ios::binary) << std::string(big_size, 'b');
    std::ofstream(root_ / "small.txt", std::ios::binary) << "still here\n";
  }
  void TearDown() override {
    server_test::TearDown();
    if (!root_.empty()) fs::remove_all(root_);
  }

  // Everyone else is still served: a fresh connection gets the small file.
  void expect_others_served() {
    const auto r = fetch(port(), "/small.txt");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "still here\n");
  }

  fs::path root_;
};

TEST_P(hostile_peers, a_reset_in_the_middle_of_a_request_drops_only_that_connection) {
  start({"--root", root_.string()});
  for (int i = 0; i < 20; ++i) {
    const int fd = connect_small(port());
    // Half a head, half a body: the server is in the middle of reading either way.
    send_all(fd, i % 2 == 0 ? std::string_view("GET /small.txt HTTP/1.1\r\nHo")
                            : std::string_view("POST / HTTP/1.1\r\nHost: x\r\n"
                                               "Content-Length: 100\r\n\r\nhalf"));
    reset(fd);
  }
  expect_others_served();
}

TEST_P(hostile_peers, a_reset_in_the_middle_of_a_large_response_drops_only_that_connection) {
  start({"--root", root_.string()});
  for (int i = 0; i < 10; ++i) {
    const int fd = connect_small(port());
    send_all(fd, get_request("/big.bin"));
    // Read a little of the 32 MiB, so the server is surely in the middle of sending it.
    char buf[4096];
    ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);
    reset(fd);
  }
  expect_others_served();
}

TEST_P(hostile_peers, a_client_that_never_reads_a_large_response_is_cut_off) {
  // A write that makes no progress for --idle-timeout seconds ends the connection.
  start({"--root", root_.string(), "--idle-timeout", "1"});
  const int fd = connect_small(port());
  send_all(fd, get_request("/big.bin"));
  expect_others_served();  // meanwhile the stalled response blocks nobody
  // Then the server gives up on it: reading now ends (a reset or end of stream) well before all
  // 32 MiB arrive, since the server stopped sending.
  ::sleep(3);  // past the idle timeout, with margin: the one timing this test relies on
  // A server that never gave up would keep the connection open after the whole file: a bounded
  // read makes that a failure, not a hang.
  const timeval ten_seconds{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &ten_seconds, sizeof ten_seconds);
  std::size_t got = 0;
  char buf[64 * 1024];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) got += static_cast<std::size_t>(n);
  ::close(fd);
  EXPECT_LT(got, big_size);
  expect_others_served();
}

TEST_P(hostile_peers, a_large_file_to_many_slow_clients_costs_a_chunk_each_not_the_file) {
  start({"--root", root_.string(), "--idle-timeout", "60"});
  expect_others_served();  // the server has set itself up before the baseline
  const long before = server().rss_bytes();
  constexpr int clients = 20;
  std::vector<int> fds;
  for (int i = 0; i < clients; ++i) {
    fds.push_back(connect_small(port()));
    send_all(fds.back(), get_request("/big.bin"));
  }
  // Each client takes a little, so every response is under way, then stalls.
  char buf[64 * 1024];
  std::string head;  // what the first client got so far: the head, then some of the body
  for (const int fd : fds) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    if (fd == fds.front()) head.assign(buf, static_cast<std::size_t>(n));
  }
  expect_others_served();
  const long during = server().rss_bytes();
  // Read into memory, 20 responses of 32 MiB would be 640 MiB; streamed, each holds one chunk
  // (64 KiB) and its coroutine frames. 16 MiB leaves room for allocator and sanitizer slack.
  EXPECT_LT(during - before, 16L * 1024 * 1024) << "before " << before << ", during " << during;
  // And the bytes are all there for a client that reads to the end.
  const std::string head_end = "\r\n\r\n";
  std::size_t got = 0;
  if (const std::size_t end = head.find(head_end); end != std::string::npos)
    got = head.size() - end - head_end.size();
  for (ssize_t n; got < big_size && (n = ::recv(fds[0], buf, sizeof buf, 0)) > 0;) {
    if (head.find(head_end) == std::string::npos) {
      head.append(buf, static_cast<std::size_t>(n));
      const std::size_t end = head.find(head_end);
      if (end != std::string::npos) got = head.size() - end - head_end.size();
    } else {
      got += static_cast<std::size_t>(n);
    }
  }
  EXPECT_EQ(got, big_size);
  for (const int fd : fds) ::close(fd);
}

WEB_SERVER_ON_BACKENDS(hostile_peers);

}  // namespace
}  // namespace web_test
