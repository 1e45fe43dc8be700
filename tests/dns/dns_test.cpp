// brigade::resolve and brigade::connect on both backends: /etc/hosts, numeric hosts, service
// names, a stub DNS server (answers, NXDOMAIN, silence), timeouts, cancellation, happy eyeballs.
#include <brigade/core/scope.hpp>
#include <brigade/core/when_all.hpp>
#include <brigade/dns/connect.hpp>
#include <brigade/dns/resolve.hpp>
#include <brigade/io/tcp.hpp>
#include <brigade/io/timeout.hpp>
#include <brigade/io/timer.hpp>
#include <brigade/io/udp.hpp>

#include "support/backends.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <system_error>
#include <vector>

namespace {

using namespace std::chrono_literals;
using brigade::endpoint;
using brigade::task;
using brigade::testing::on_loop;

class dns : public on_loop {};

std::vector<std::string> texts(const std::vector<endpoint>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) out.push_back(e.to_string());
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

/// A DNS server on 127.0.0.1 (an ephemeral port) that knows a few made-up names:
/// stub.test: A 127.0.0.1, AAAA ::1; two.test: A 127.0.0.2 then A 127.0.0.1;
/// silent.test: never answers; big.test: over UDP a truncated reply, over TCP (serve_tcp) A
/// 127.0.0.3; anything else: NXDOMAIN.
class stub_dns {
 public:
  explicit stub_dns(brigade::event_loop& loop) : sock_(loop, endpoint::loopback(0)) {}

  brigade::resolver_options options(std::chrono::milliseconds timeout = 2000ms) const {
    return {.servers = {sock_.local_endpoint()}, .query_timeout = timeout, .tries = 1};
  }
  int queries() const { return queries_; }

  /// Answers until cancelled.
  task<void> serve() {
    std::array<std::byte, 512> buf{};
    for (;;) {
      const brigade::datagram d = co_await sock_.receive_from(buf);
      ++queries_;
      std::vector<std::uint8_t> q(d.size);
      for (std::size_t i = 0; i < d.size; ++i) q[i] = static_cast<std::uint8_t>(buf[i]);
      std::vector<std::uint8_t> reply = answer(q, false);
      if (reply.empty()) continue;
      co_await sock_.send_to(std::as_bytes(std::span(reply)), d.from);
    }
  }

  /// Answers queries over TCP (a 2-byte length before each message) on `listener` until
  /// cancelled: what c-ares falls back to after a truncated UDP reply.
  task<void> serve_tcp(brigade::tcp_listener& listener) {
    brigade::scope connections;
    try {
      for (;;) connections.spawn(serve_connection(co_await listener.accept()));
    } catch (const brigade::operation_cancelled&) {
    }
    connections.request_stop();
    co_await connections.join();
  }

 private:
  task<void> serve_connection(brigade::tcp_stream s) {
    try {
      for (;;) {
        std::array<char, 2> len{};
        co_await s.read_exact(len);
        std::string query(
            static_cast<std::uint8_t>(len[0]) << 8 | static_cast<std::uint8_t>(len[1]), '\0');
        co_await s.read_exact(query);
        ++queries_;
        const std::vector<std::uint8_t> reply =
            answer(std::vector<std::uint8_t>(query.begin(), query.end()), true);
        std::string out{static_cast<char>(reply.size() >> 8),
                        static_cast<char>(reply.size() & 0xFF)};
        out.append(reply.begin(), reply.end());
        co_await s.write(out);
      }
    } catch (const brigade::end_of_stream&) {
    }
  }

  static std::vector<std::uint8_t> answer(const std::vector<std::uint8_t>& q, bool tcp) {
    if (q.size() < 12) return {};
    std::size_t at = 12;
    std::string name;
    while (at < q.size() && q[at] != 0) {
      const std::size_t len = q[at];
      if (!name.empty()) name += '.';
      name.append(reinterpret_cast<const char*>(&q[at + 1]), len);
      at += len + 1;
    }
    at += 1;
    if (at + 4 > q.size()) return {};
    const int type = q[at] << 8 | q[at + 1];
    const std::size_t question_end = at + 4;
    if (name == "silent.test") return {};
    const bool truncated = name == "big.test" && !tcp;

    std::vector<std::vector<std::uint8_t>> records;
    int rcode = 0;
    if (name == "stub.test" && type == 1)
      records = {{127, 0, 0, 1}};
    else if (name == "stub.test" && type == 28)
      records = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
    else if (name == "two.test" && type == 1)
      records = {{127, 0, 0, 2}, {127, 0, 0, 1}};
    else if (name == "big.test" && type == 1 && tcp)
      records = {{127, 0, 0, 3}};
    else if (name != "stub.test" && name != "two.test" && name != "big.test")
      rcode = 3;  // NXDOMAIN

    std::vector<std::uint8_t> r(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(question_end));
    r[2] = truncated ? 0x83 : 0x81;                  // QR, (TC,) RD
    r[3] = static_cast<std::uint8_t>(0x80 | rcode);  // RA
    r[6] = 0;
    r[7] = static_cast<std::uint8_t>(records.size());
    r[8] = r[9] = r[10] = r[11] = 0;  // no authority, no additional
    for (const auto& rdata : records) {
      const std::uint8_t head[] = {0xC0, 12,  // the question's name
                                   0,    static_cast<std::uint8_t>(type),
                                   0,    1,
                                   0,    0,
                                   0,    60,
                                   0,    static_cast<std::uint8_t>(rdata.size())};
      r.insert(r.end(), std::begin(head), std::end(head));
      r.insert(r.end(), rdata.begin(), rdata.end());
    }
    return r;
  }

  brigade::udp_socket sock_;
  int queries_ = 0;
};

/// Runs body on the loop while the stub serves; the stub is cancelled when body ends.
template <class T>
T with_stub(brigade::event_loop& loop, stub_dns& stub, task<T> body) {
  auto both = brigade::when_any(std::move(body), stub.serve());
  auto won = loop.run_until(std::move(both));
  if constexpr (!std::is_void_v<T>) return std::get<0>(std::move(won));
}

TEST_P(dns, localhost_comes_from_etc_hosts) {
  auto got = texts(loop().run_until(brigade::resolve(loop(), "localhost", 8080)));
  EXPECT_TRUE(contains(got, "127.0.0.1:8080")) << ::testing::PrintToString(got);
}

TEST_P(dns, numeric_hosts_need_no_query) {
  stub_dns stub(loop());
  auto run = [&](std::string host, std::string port) {
    return texts(with_stub(loop(), stub, brigade::resolve(loop(), host, port, stub.options())));
  };
  EXPECT_EQ(run("127.0.0.1", "80"), std::vector<std::string>{"127.0.0.1:80"});
  EXPECT_EQ(run("::1", "443"), std::vector<std::string>{"[::1]:443"});
  EXPECT_EQ(run("[::1]", "http"), std::vector<std::string>{"[::1]:80"});
  EXPECT_EQ(stub.queries(), 0);
}

TEST_P(dns, ports_are_numbers_or_service_names) {
  EXPECT_EQ(texts(loop().run_until(brigade::resolve(loop(), "127.0.0.1", "http"))),
            std::vector<std::string>{"127.0.0.1:80"});
  for (std::string bad : {"nosuchservice", "99999", "12ab", ""}) {
    try {
      loop().run_until(brigade::resolve(loop(), "localhost", bad));
      ADD_FAILURE() << "port \"" << bad << "\" resolved";
    } catch (const brigade::resolve_error& e) {
      EXPECT_NE(std::string(e.what()).find(bad.empty() ? "empty port" : "\"" + bad + "\""),
                std::string::npos)
          << e.what();
    }
  }
}

TEST_P(dns, stub_server_answers_a_and_aaaa) {
  stub_dns stub(loop());
  auto got =
      texts(with_stub(loop(), stub, brigade::resolve(loop(), "stub.test", 7, stub.options())));
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"127.0.0.1:7", "[::1]:7"}));
  EXPECT_GE(stub.queries(), 2);
}

TEST_P(dns, a_truncated_reply_is_asked_again_over_tcp) {
  stub_dns stub(loop());
  // c-ares asks the same port over TCP: a listener there (if that port is free for TCP).
  std::optional<brigade::tcp_listener> tcp;
  try {
    tcp.emplace(loop(), stub.options().servers.front());
  } catch (const std::system_error& e) {
    GTEST_SKIP() << "the stub's port is taken for TCP: " << e.what();
  }
  auto body = brigade::resolve(loop(), "big.test", 9, stub.options());
  auto won =
      loop().run_until(brigade::when_any(std::move(body), stub.serve(), stub.serve_tcp(*tcp)));
  EXPECT_EQ(texts(std::get<0>(std::move(won))), std::vector<std::string>{"127.0.0.3:9"});
}

TEST_P(dns, nxdomain_names_the_host_and_the_reason) {
  stub_dns stub(loop());
  try {
    with_stub(loop(), stub, brigade::resolve(loop(), "nosuch.test", 80, stub.options()));
    ADD_FAILURE() << "resolved";
  } catch (const brigade::resolve_error& e) {
    EXPECT_STREQ(e.what(), "brigade::resolve: \"nosuch.test\": Domain name not found");
  }
}

TEST_P(dns, a_silent_server_times_out) {
  stub_dns stub(loop());
  const auto start = std::chrono::steady_clock::now();
  try {
    with_stub(loop(), stub, brigade::resolve(loop(), "silent.test", 80, stub.options(150ms)));
    ADD_FAILURE() << "resolved";
  } catch (const brigade::resolve_error& e) {
    EXPECT_NE(std::string(e.what()).find("\"silent.test\": Timeout"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST_P(dns, brigade_timeout_cancels_a_resolution) {
  stub_dns stub(loop());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(with_stub(loop(), stub,
                         brigade::timeout(100ms, brigade::resolve(loop(), "silent.test", 80,
                                                                  stub.options(30000ms)))),
               brigade::timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST_P(dns, a_stop_request_cancels_a_resolution) {
  stub_dns stub(loop());
  std::stop_source stop;
  auto body = [&]() -> task<void> {
    auto stopper = [&]() -> task<void> {
      co_await brigade::sleep_for(loop(), 50ms);
      stop.request_stop();
    };
    co_await brigade::when_all(
        brigade::with_stop_token(brigade::resolve(loop(), "silent.test", 80, stub.options(30000ms)),
                                 stop.get_token()),
        stopper());
  };
  EXPECT_THROW(with_stub(loop(), stub, body()), brigade::operation_cancelled);
}

TEST_P(dns, connect_to_a_name_and_port) {
  stub_dns stub(loop());
  brigade::tcp_listener listener(loop(), endpoint::loopback(0));
  const std::string port = std::to_string(listener.local_endpoint().port());
  auto s = with_stub(loop(), stub, brigade::connect(loop(), "stub.test:" + port, stub.options()));
  EXPECT_EQ(s.remote_endpoint().to_string(), "127.0.0.1:" + port);
  auto local = loop().run_until(brigade::connect(loop(), "localhost:" + port));
  EXPECT_EQ(local.remote_endpoint().to_string(), "127.0.0.1:" + port);
}

TEST_P(dns, the_first_address_refuses_and_the_second_connects) {
  brigade::tcp_listener listener(loop(), endpoint::loopback(0));
  const std::uint16_t port = listener.local_endpoint().port();
  const auto refused = endpoint::parse("127.0.0.2:" + std::to_string(port));
  auto s = loop().run_until(
      brigade::connect_any(loop(), {refused, listener.local_endpoint()}, "two addresses"));
  EXPECT_EQ(s.remote_endpoint().to_string(), listener.local_endpoint().to_string());

  stub_dns stub(loop());  // two.test: 127.0.0.2 and 127.0.0.1, in some order
  auto named = with_stub(
      loop(), stub, brigade::connect(loop(), "two.test:" + std::to_string(port), stub.options()));
  EXPECT_EQ(named.remote_endpoint().to_string(), listener.local_endpoint().to_string());
}

TEST_P(dns, a_silent_first_address_gives_way_after_the_delay) {
  // A listener whose accept queue is full drops new SYNs: a connect to it hangs (in SYN_SENT).
  brigade::tcp_listener full(loop(), endpoint::loopback(0), {.backlog = 0});
  std::vector<int> fillers;
  bool hanging = false;
  for (int i = 0; i < 16 && !hanging; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    fillers.push_back(fd);
    const endpoint to = full.local_endpoint();
    (void)::connect(fd, static_cast<const sockaddr*>(to.data()), to.size());
    pollfd p{fd, POLLOUT, 0};
    hanging = ::poll(&p, 1, 500) == 0;
  }
  brigade::tcp_listener ok(loop(), endpoint::loopback(0));
  if (hanging) {
    const auto start = std::chrono::steady_clock::now();
    auto s = loop().run_until(brigade::connect_any(
        loop(), {full.local_endpoint(), ok.local_endpoint()}, "full then ok", 100ms));
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(s.remote_endpoint().to_string(), ok.local_endpoint().to_string());
    EXPECT_GE(took, 100ms);  // the second address waited for the delay
    // and the hanging attempt was cancelled, not waited for (the kernel retries its SYN for
    // about two minutes)
    EXPECT_LT(took, 20s);
    // Only the hanging address: brigade::timeout stops the attempt (and the nap after it).
    const auto again = std::chrono::steady_clock::now();
    EXPECT_THROW(loop().run_until(brigade::timeout(
                     150ms, brigade::connect_any(loop(), {full.local_endpoint()}, "full", 100ms))),
                 brigade::timed_out);
    EXPECT_LT(std::chrono::steady_clock::now() - again, 20s);
  }
  for (int fd : fillers) ::close(fd);
  if (!hanging) GTEST_SKIP() << "the kernel accepted every connection: nothing hangs here";
}

TEST_P(dns, every_address_failing_names_each_failure) {
  std::uint16_t port = 0;
  {
    brigade::tcp_listener closed(loop(), endpoint::loopback(0));
    port = closed.local_endpoint().port();
  }
  const std::string p = std::to_string(port);
  try {
    loop().run_until(brigade::connect_any(
        loop(), {endpoint::parse("127.0.0.1:" + p), endpoint::parse("127.0.0.2:" + p)},
        "nowhere:" + p));
    ADD_FAILURE() << "connected";
  } catch (const brigade::connect_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("\"nowhere:" + p + "\""), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:" + p + ": "), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.2:" + p + ": "), std::string::npos) << what;
    EXPECT_NE(what.find("refused"), std::string::npos) << what;
  }
}

TEST_P(dns, malformed_host_port_is_named) {
  for (std::string bad : {"localhost", "::1:80", "[::1]80", "localhost:bogusport"}) {
    try {
      loop().run_until(brigade::connect(loop(), bad));
      ADD_FAILURE() << bad << " connected";
    } catch (const brigade::resolve_error& e) {
      const std::string what = e.what();
      const bool named = what.find("\"" + bad + "\"") != std::string::npos ||
                         what.find("\"bogusport\"") != std::string::npos;
      EXPECT_TRUE(named) << what;
    }
  }
}

BRIGADE_INSTANTIATE_ON_BACKENDS(dns);

}  // namespace
