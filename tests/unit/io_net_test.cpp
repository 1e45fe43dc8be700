// TCP, UDP, files and signals on both backends: echo with hundreds of clients, refused and
// reset connections, running out of descriptors, framing helpers, datagrams, positional file
// I/O, signals as events.
#include <brigade/core/scope.hpp>
#include <brigade/core/when_all.hpp>
#include <brigade/io/file.hpp>
#include <brigade/io/signal.hpp>
#include <brigade/io/tcp.hpp>
#include <brigade/io/timeout.hpp>
#include <brigade/io/timer.hpp>
#include <brigade/io/udp.hpp>

#include "support/backends.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using brigade::testing::on_loop;

class net : public on_loop {};

brigade::task<void> echo_one(brigade::tcp_stream s) {
  char buf[1024];
  for (;;) {
    const std::size_t n = co_await s.read(std::span<char>(buf));
    if (n == 0) co_return;
    co_await s.write(std::string_view(buf, n));
  }
}

brigade::task<void> echo_server(brigade::tcp_listener& l, int connections) {
  brigade::scope s;
  for (int i = 0; i < connections; ++i) s.spawn(echo_one(co_await l.accept()));
  co_await s.join();
}

brigade::task<int> echo_client(brigade::event_loop& loop, brigade::endpoint to, int id) {
  auto c = co_await brigade::tcp_stream::connect(loop, to);
  int ok = 0;
  for (int m = 0; m < 5; ++m) {
    const std::string msg = "client " + std::to_string(id) + " message " + std::to_string(m) + "\n";
    co_await c.write(msg);
    std::string buf;
    const std::size_t end = co_await c.read_until(buf, "\n");
    if (buf.substr(0, end) == msg) ++ok;
  }
  co_return ok;
}

TEST_P(net, echo_with_hundreds_of_clients) {
  const int clients = 300;
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  const auto at = l.local_endpoint();
  auto body = [&]() -> brigade::task<int> {
    std::vector<brigade::task<int>> cs;
    for (int i = 0; i < clients; ++i) cs.push_back(echo_client(loop(), at, i));
    auto [served, results] =
        co_await brigade::when_all(echo_server(l, clients), brigade::when_all(std::move(cs)));
    (void)served;
    int total = 0;
    for (int r : results) total += r;
    co_return total;
  };
  EXPECT_EQ(loop().run_until(body()), clients * 5);
}

// Counts SIGUSR2s. Installed without SA_RESTART, so that each one that lands in a system call of
// the loop (epoll_pwait2, io_uring_enter, read, write, accept, connect) makes it fail with EINTR.
std::atomic<int> interruptions{0};
void count_interruption(int) {
  interruptions.fetch_add(1, std::memory_order_relaxed);  // a counter: nothing is ordered by it
}

TEST_P(net, signals_landing_in_the_loops_system_calls_change_nothing) {
  struct sigaction count {};
  struct sigaction old {};
  count.sa_handler = count_interruption;
  sigemptyset(&count.sa_mask);
  count.sa_flags = 0;  // no SA_RESTART
  ASSERT_EQ(::sigaction(SIGUSR2, &count, &old), 0);
  interruptions.store(0, std::memory_order_relaxed);
  const pthread_t loop_thread = ::pthread_self();  // run_until runs the loop here
  // relaxed: a stop flag; the join below orders everything the hammer did.
  std::atomic<bool> done{false};
  std::thread hammer([&] {
    while (!done.load(std::memory_order_relaxed)) {
      ::pthread_kill(loop_thread, SIGUSR2);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  const int clients = 40;
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  const auto at = l.local_endpoint();
  auto sleeper = [&]() -> brigade::task<int> {
    int on_time = 0;
    for (int i = 0; i < 20; ++i) {
      const auto start = std::chrono::steady_clock::now();
      co_await brigade::sleep_for(std::chrono::milliseconds(2));
      if (std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(2)) ++on_time;
    }
    co_return on_time;
  };
  auto body = [&]() -> brigade::task<int> {
    std::vector<brigade::task<int>> cs;
    for (int i = 0; i < clients; ++i) cs.push_back(echo_client(loop(), at, i));
    auto [served, results, slept] = co_await brigade::when_all(
        echo_server(l, clients), brigade::when_all(std::move(cs)), sleeper());
    (void)served;
    int total = 0;
    for (int r : results) total += r;
    co_return total + slept;
  };
  int total = -1;
  try {
    total = loop().run_until(body());
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
  done.store(true, std::memory_order_relaxed);
  hammer.join();
  ::sigaction(SIGUSR2, &old, nullptr);
  EXPECT_EQ(total, clients * 5 + 20);  // every echo exact, no sleep ended early
  EXPECT_GT(interruptions.load(std::memory_order_relaxed), 0);
}

TEST_P(net, connection_refused_is_a_system_error_naming_the_address) {
  // A port that was just free: bind, read the port, close.
  std::uint16_t port;
  {
    brigade::tcp_listener probe(loop(), brigade::endpoint::loopback(0));
    port = probe.local_endpoint().port();
  }
  auto body = [&]() -> brigade::task<void> {
    co_await brigade::tcp_stream::connect(loop(), brigade::endpoint::loopback(port));
  };
  try {
    loop().run_until(body());
    FAIL() << "connected to a closed port";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ECONNREFUSED);
    EXPECT_NE(std::string(e.what()).find(std::to_string(port)), std::string::npos) << e.what();
  }
}

TEST_P(net, reset_by_peer_is_a_system_error) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  auto server = [&]() -> brigade::task<void> {
    auto s = co_await l.accept();
    linger lg{1, 0};  // close with RST
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    s.close();
  };
  auto client = [&]() -> brigade::task<int> {
    auto c = co_await brigade::tcp_stream::connect(loop(), l.local_endpoint());
    char buf[16];
    try {
      for (;;) {
        co_await brigade::sleep_for(5ms);
        if (co_await c.read(std::span<char>(buf)) == 0) co_return 0;
      }
    } catch (const std::system_error& e) {
      co_return e.code().value();
    }
  };
  auto body = [&]() -> brigade::task<int> {
    auto [s, r] = co_await brigade::when_all(server(), client());
    (void)s;
    co_return r;
  };
  EXPECT_EQ(loop().run_until(body()), ECONNRESET);
}

TEST_P(net, running_out_of_descriptors_does_not_kill_the_loop) {
#ifdef BRIGADE_UBSAN
  GTEST_SKIP() << "UBSan's vptr check opens a pipe to read memory and misreports valid objects "
                  "once the descriptor table is full; this case runs in the debug and tsan builds";
#endif
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  const auto at = l.local_endpoint();
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  // Use up the table to a low limit, keeping one free for the client's socket.
  std::vector<int> fillers;
  rlimit low = old;
  low.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  for (;;) {
    const int fd = ::dup(0);
    if (fd < 0) break;
    fillers.push_back(fd);
  }
  ::close(fillers.back());
  fillers.pop_back();
  auto body = [&]() -> brigade::task<int> {
    auto client = co_await brigade::tcp_stream::connect(loop(), at);  // takes the last slot
    int err = 0;
    try {
      auto s = co_await l.accept();  // no descriptor left for the accepted socket
    } catch (const std::system_error& e) {
      err = e.code().value();
    }
    // Free some descriptors: the same listener accepts the pending connection.
    for (int i = 0; i < 4; ++i) {
      ::close(fillers.back());
      fillers.pop_back();
    }
    auto s = co_await l.accept();
    co_await client.write(std::string_view("ok"));
    char buf[2];
    co_await s.read_exact(std::span<char>(buf));
    co_return err;
  };
  const int err = loop().run_until(body());
  for (int fd : fillers) ::close(fd);
  setrlimit(RLIMIT_NOFILE, &old);
  EXPECT_TRUE(err == EMFILE || err == ENFILE) << "got errno " << err;
}

TEST_P(net, read_exact_and_read_until_report_end_of_stream) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  auto server = [&]() -> brigade::task<void> {
    auto s = co_await l.accept();
    co_await s.write(std::string_view("line one\r\nline two\r\npartial"));
    s.shutdown_write();
    char sink[1];
    (void)co_await s.read(std::span<char>(sink));  // until the client closes
  };
  auto client = [&]() -> brigade::task<std::string> {
    auto c = co_await brigade::tcp_stream::connect(loop(), l.local_endpoint());
    std::string buf;
    std::string lines;
    std::size_t end = co_await c.read_until(buf, "\r\n");
    lines += buf.substr(0, end) + "|";
    buf.erase(0, end);
    end = co_await c.read_until(buf, "\r\n");
    lines += buf.substr(0, end) + "|";
    buf.erase(0, end);
    try {
      co_await c.read_until(buf, "\r\n");
    } catch (const brigade::end_of_stream&) {
      lines += "eof:" + buf;
    }
    co_return lines;
  };
  auto body = [&]() -> brigade::task<std::string> {
    auto [s, r] = co_await brigade::when_all(server(), client());
    (void)s;
    co_return r;
  };
  EXPECT_EQ(loop().run_until(body()), "line one\r\n|line two\r\n|eof:partial");
}

brigade::task<void> readable(brigade::tcp_stream& s) {
  co_await s.wait_readable();
}

// After a short try_read, wait_readable may wait without looking first (epoll skips its
// poll): it must still see bytes that arrived before it was called (with and without a loop
// turn in between), bytes left behind by a try_read that filled its buffer, and bytes that
// come later. Each wait has a 10 s limit, so a lost wake-up fails instead of hanging.
TEST_P(net, wait_readable_after_a_short_try_read_sees_every_arrival) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  auto body = [&]() -> brigade::task<std::string> {
    auto c = co_await brigade::tcp_stream::connect(loop(), l.local_endpoint());
    auto s = co_await l.accept();
    std::string seen;
    char buf[64];
    auto send = [&](std::string_view bytes) {
      EXPECT_EQ(::send(c.native_handle(), bytes.data(), bytes.size(), 0),
                static_cast<ssize_t>(bytes.size()));
    };
    auto wait = [&]() -> brigade::task<void> { co_await brigade::timeout(10s, readable(s)); };
    auto take = [&](std::span<char> into) {
      const auto n = s.try_read(into);
      seen += n ? std::string(into.data(), *n) + "|" : std::string("nothing|");
    };
    // Data that comes while the stream waits: the first wait finds nothing and registers s.
    auto arrives_later = [&](std::string_view bytes) -> brigade::task<void> {
      std::thread later([&] {
        std::this_thread::sleep_for(50ms);
        send(bytes);
      });
      try {
        co_await wait();
      } catch (...) {
        later.join();
        throw;
      }
      later.join();
    };
    take(buf);  // nothing: the socket is drained
    co_await arrives_later("a");
    take(buf);  // "a", short
    send("b");  // arrives before the wait, no loop turn between
    co_await wait();
    take(buf);  // "b", short
    send("c");
    co_await brigade::sleep_for(20ms);  // the loop sees the event while nobody waits
    co_await wait();
    take(buf);  // "c", short
    send("xyz");
    co_await wait();
    take(std::span<char>(buf, 1));  // "x" fills the buffer: "yz" is still there, no new event
    co_await wait();
    take(buf);  // "yz"
    take(buf);  // nothing
    co_await arrives_later("d");
    take(buf);  // "d"
    co_return seen;
  };
  EXPECT_EQ(loop().run_until(body()), "nothing|a|b|c|x|yz|nothing|d|");
}

// try_read and try_write never wait: nothing there is std::nullopt, then the bytes, then 0 at
// the end of the stream; a full send buffer is std::nullopt; a reset peer is a system_error
// naming the call.
TEST_P(net, try_read_and_try_write_take_what_is_there_without_waiting) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  auto body = [&]() -> brigade::task<std::string> {
    auto c = co_await brigade::tcp_stream::connect(loop(), l.local_endpoint());
    auto s = co_await l.accept();
    std::string seen;
    char buf[64];
    if (!s.try_read(std::span<char>(buf)).has_value()) seen += "nothing|";
    const std::string hello = "hello";
    const auto wrote = c.try_write(std::as_bytes(std::span(hello)));
    seen += "wrote " + std::to_string(wrote.value_or(0)) + "|";
    co_await s.wait_readable();
    if (const auto n = s.try_read(std::span<char>(buf))) seen += std::string(buf, *n) + "|";
    EXPECT_EQ(c.try_write(std::span<const std::byte>()), std::optional<std::size_t>(0));
    // Fill c's send buffer and s's receive buffer: try_write then takes nothing.
    c.set_nodelay(true);
    const std::vector<std::byte> chunk(64 * 1024);
    std::size_t sent = 0;
    for (int i = 0; i < 10000; ++i) {
      const auto n = c.try_write(std::span<const std::byte>(chunk));
      if (!n) break;
      sent += *n;
    }
    seen += sent > 0 && !c.try_write(std::span<const std::byte>(chunk)) ? "full|" : "never full|";
    c.shutdown_write();
    std::vector<char> drain(256 * 1024);
    std::size_t received = 0;
    for (;;) {  // s reads all that was sent, then the end of the stream (0)
      const std::size_t n = co_await s.read(std::span<char>(drain));
      if (n == 0) break;
      received += n;
    }
    seen += received == sent ? "all read|" : "lost bytes|";
    seen += s.try_read(std::span<char>(buf)) == std::optional<std::size_t>(0) ? "eof" : "no eof";
    co_return seen;
  };
  EXPECT_EQ(loop().run_until(body()), "nothing|wrote 5|hello|full|all read|eof");

  // A peer that reset: writing fails with the errno, naming try_write.
  auto reset = [&]() -> brigade::task<std::string> {
    auto c = co_await brigade::tcp_stream::connect(loop(), l.local_endpoint());
    {
      auto s = co_await l.accept();
      const linger abort{1, 0};  // close sends RST
      setsockopt(s.native_handle(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    }
    co_await brigade::sleep_for(20ms);  // the RST arrives
    const std::string x(16, 'x');
    try {
      for (int i = 0; i < 100; ++i) (void)c.try_write(std::as_bytes(std::span(x)));
    } catch (const std::system_error& e) {
      co_return e.what();
    }
    co_return "no error";
  };
  const std::string what = loop().run_until(reset());
  EXPECT_NE(what.find("brigade::tcp_stream::try_write"), std::string::npos) << what;
}

TEST_P(net, read_until_enforces_its_limit) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  auto server = [&]() -> brigade::task<void> {
    auto s = co_await l.accept();
    co_await s.write(std::string(1000, 'x'));
  };
  auto client = [&]() -> brigade::task<bool> {
    auto c = co_await brigade::tcp_stream::connect(loop(), l.local_endpoint());
    std::string buf;
    try {
      co_await c.read_until(buf, "\n", 100);
    } catch (const std::length_error&) {
      co_return true;
    }
    co_return false;
  };
  auto body = [&]() -> brigade::task<bool> {
    auto [s, r] = co_await brigade::when_all(server(), client());
    (void)s;
    co_return r;
  };
  EXPECT_TRUE(loop().run_until(body()));
}

TEST_P(net, a_pending_read_is_cancelled_by_its_stop_token) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  auto body = [&]() -> brigade::task<bool> {
    auto c = co_await brigade::tcp_stream::connect(loop(), l.local_endpoint());
    auto s = co_await l.accept();
    bool cancelled = false;
    brigade::scope sc;
    sc.spawn([](brigade::tcp_stream& st, bool& out) -> brigade::task<void> {
      char buf[8];
      try {
        (void)co_await st.read(std::span<char>(buf));  // nothing ever arrives
      } catch (const brigade::operation_cancelled&) {
        out = true;
      }
    }(s, cancelled));
    co_await brigade::sleep_for(5ms);
    sc.request_stop();
    co_await sc.join();
    // The stream still works after a cancelled read.
    co_await c.write(std::string_view("hi"));
    char buf[2];
    co_await s.read_exact(std::span<char>(buf));
    co_return cancelled&& std::string(buf, 2) == "hi";
  };
  EXPECT_TRUE(loop().run_until(body()));
}

TEST_P(net, udp_round_trip) {
  brigade::udp_socket a(loop(), brigade::endpoint::loopback(0));
  brigade::udp_socket b(loop(), brigade::endpoint::loopback(0));
  auto body = [&]() -> brigade::task<std::string> {
    const std::string msg = "datagram";
    co_await a.send_to(std::as_bytes(std::span(msg)), b.local_endpoint());
    std::byte buf[64];
    const brigade::datagram d = co_await b.receive_from(buf);
    EXPECT_EQ(d.from.port(), a.local_endpoint().port());
    co_return std::string(reinterpret_cast<const char*>(buf), d.size);
  };
  EXPECT_EQ(loop().run_until(body()), "datagram");
}

// Hundreds of datagram receives in flight at once (more than one chunk of the io_uring
// backend's slots, and more than its submission queue holds): half are cancelled, and each of
// the others gets the datagram sent to it, with its sender. Then it all again: slots and the
// receives' messages are reused.
TEST_P(net, hundreds_of_datagram_receives_in_flight_half_cancelled) {
  constexpr int n = 600;
  std::vector<std::unique_ptr<brigade::udp_socket>> socks;
  for (int i = 0; i < n; ++i)
    socks.push_back(std::make_unique<brigade::udp_socket>(loop(), brigade::endpoint::loopback(0)));
  brigade::udp_socket sender(loop(), brigade::endpoint::loopback(0));
  auto receive = [](brigade::udp_socket& sock, int i, std::uint16_t from,
                    int& outcome) -> brigade::task<void> {
    char buf[32];
    try {
      const brigade::datagram d =
          co_await sock.receive_from(std::as_writable_bytes(std::span(buf)));
      const bool right =
          std::string(buf, d.size) == "to " + std::to_string(i) && d.from.port() == from;
      outcome = right ? 1 : -1;
    } catch (const brigade::operation_cancelled&) {
      outcome = 2;
    }
  };
  auto round = [&]() -> brigade::task<std::vector<int>> {
    std::vector<int> outcome(n, 0);
    brigade::scope cancelled, served;
    for (int i = 0; i < n; ++i)
      (i % 2 == 0 ? cancelled : served)
          .spawn(receive(*socks[static_cast<std::size_t>(i)], i, sender.local_endpoint().port(),
                         outcome[static_cast<std::size_t>(i)]));
    co_await brigade::sleep_for(5ms);  // every receive started
    cancelled.request_stop();
    co_await cancelled.join();
    for (int i = 1; i < n; i += 2) {
      const std::string msg = "to " + std::to_string(i);
      co_await sender.send_to(std::as_bytes(std::span(msg)),
                              socks[static_cast<std::size_t>(i)]->local_endpoint());
    }
    co_await served.join();
    co_return outcome;
  };
  for (int r = 0; r < 2; ++r) {
    const std::vector<int> outcome = loop().run_until(round());
    for (int i = 0; i < n; ++i)
      ASSERT_EQ(outcome[static_cast<std::size_t>(i)], i % 2 == 0 ? 2 : 1) << "receive " << i;
  }
}

TEST_P(net, file_write_then_read_at_offsets) {
  char path[] = "/tmp/brigade_file_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto body = [&]() -> brigade::task<std::string> {
    brigade::file f(loop(), path, brigade::file::mode::read_write);
    const std::string a = "hello ", b = "world";
    co_await f.write_at(std::as_bytes(std::span(a)), 0);
    co_await f.write_at(std::as_bytes(std::span(b)), 6);
    EXPECT_EQ(f.size(), 11u);
    std::byte buf[32];
    const std::size_t n = co_await f.read_at(buf, 0);
    const std::size_t past = co_await f.read_at(buf, 100);
    EXPECT_EQ(past, 0u);
    co_return std::string(reinterpret_cast<const char*>(buf), n);
  };
  EXPECT_EQ(loop().run_until(body()), "hello world");
  ::unlink(path);
}

TEST_P(net, opening_a_missing_file_names_it) {
  try {
    brigade::file f(loop(), "/nonexistent/brigade/file", brigade::file::mode::read);
    FAIL() << "opened a missing file";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/brigade/file"), std::string::npos);
  }
}

TEST_P(net, signals_arrive_as_events) {
  brigade::signal_set sigs(loop(), {SIGUSR1});
  auto body = [&]() -> brigade::task<int> {
    ::kill(::getpid(), SIGUSR1);
    co_return co_await sigs.wait();
  };
  EXPECT_EQ(loop().run_until(body()), SIGUSR1);
}

BRIGADE_INSTANTIATE_ON_BACKENDS(net);

TEST(endpoint, parses_and_prints) {
  EXPECT_EQ(brigade::endpoint::parse("127.0.0.1:8080").to_string(), "127.0.0.1:8080");
  EXPECT_EQ(brigade::endpoint::parse("[::1]:80").to_string(), "[::1]:80");
  EXPECT_EQ(brigade::endpoint::parse("10.0.0.1:65535").port(), 65535);
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "1.2.3:80", "host:80", "1.2.3.4:65536",
                          "[::1]80", "1.2.3.4:-1"}) {
    try {
      brigade::endpoint::parse(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("\"") + bad + "\""), std::string::npos);
    }
  }
}

TEST(tcp_listener, address_in_use_names_the_address) {
  brigade::event_loop loop;
  brigade::tcp_listener a(loop, brigade::endpoint::loopback(0));
  try {
    brigade::tcp_listener b(loop, a.local_endpoint());
    FAIL() << "bound twice";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EADDRINUSE);
    EXPECT_NE(std::string(e.what()).find(a.local_endpoint().to_string()), std::string::npos);
  }
}

}  // namespace
