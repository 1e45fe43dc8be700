// brigade::tls_stream, a brigade client against a brigade server on one loop, on each backend:
// data both ways (ALPN, SNI, close_notify), the certificate checks and their messages, bad files,
// peers that send garbage or vanish, and cancellation.
#include "tls_test_support.hpp"

#include <brigade/core/errors.hpp>
#include <brigade/core/when_all.hpp>
#include <brigade/io/timer.hpp>

#include <sys/socket.h>

#include <chrono>
#include <stop_token>
#include <string>
#include <system_error>

namespace {

using namespace std::chrono_literals;
using brigade::testing::on_loop;
using tls_test::cert;

class tls : public on_loop {
 protected:
  brigade::tls_context server_ctx(const std::string& name = "server") {
    return brigade::tls_context::server({.cert_file = cert(name + ".pem"),
                                         .key_file = cert(name + ".key"),
                                         .alpn = {"h2", "http/1.1"}});
  }
  static brigade::tls_context client_ctx() {
    return brigade::tls_context::client({.alpn = {"http/1.1"}, .ca_file = cert("ca.pem")});
  }

  // The message of the tls_error the client's handshake with a server using `name` gives ("" if
  // none); the server side's failure is ignored.
  std::string client_error(const std::string& name, const brigade::tls_context& cctx,
                           const std::string& host = "localhost") {
    brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
    const auto at = l.local_endpoint();
    const auto ctx = server_ctx(name);
    auto server = [&]() -> brigade::task<void> {
      auto s = brigade::tls_stream::server(ctx, co_await l.accept());
      try {
        co_await s.handshake();
      } catch (const std::exception&) {
      }
    };
    auto client = [&]() -> brigade::task<std::string> {
      try {
        auto s = co_await brigade::tls_stream::connect(cctx, loop(), at, host);
        co_await s.shutdown();
      } catch (const brigade::tls_error& e) {
        co_return e.what();
      }
      co_return "";
    };
    auto both = [&]() -> brigade::task<std::string> {
      auto [a, b] = co_await brigade::when_all(server(), client());
      (void)a;
      co_return b;
    };
    return loop().run_until(both());
  }
};

TEST_P(tls, client_and_server_exchange_a_megabyte_with_alpn_sni_and_close_notify) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  const auto at = l.local_endpoint();
  const auto sctx = server_ctx();
  const auto cctx = client_ctx();
  const std::string big(1 << 20, 'x');
  auto server = [&]() -> brigade::task<std::string> {
    auto s = brigade::tls_stream::server(sctx, co_await l.accept());
    co_await s.handshake();
    std::string got;
    char buf[4096];
    for (;;) {
      const std::size_t n = co_await s.read(std::span<char>(buf));
      if (n == 0) break;  // the client's close_notify
      got.append(buf, n);
    }
    co_await s.write(std::to_string(got.size()));
    co_await s.shutdown();
    co_return std::string(s.alpn_protocol()) + " " + std::string(s.server_name());
  };
  auto client = [&]() -> brigade::task<std::string> {
    auto s = co_await brigade::tls_stream::connect(cctx, loop(), at, "localhost");
    EXPECT_EQ(s.alpn_protocol(), "http/1.1");
    EXPECT_EQ(s.protocol_version(), "TLSv1.3");
    co_await s.write(big);
    co_await s.shutdown();
    std::string reply;
    char buf[64];
    for (;;) {
      const std::size_t n = co_await s.read(std::span<char>(buf));
      if (n == 0) break;
      reply.append(buf, n);
    }
    co_return reply;
  };
  auto both = [&]() -> brigade::task<std::pair<std::string, std::string>> {
    auto [a, b] = co_await brigade::when_all(server(), client());
    co_return std::pair(a, b);
  };
  const auto [server_saw, client_got] = loop().run_until(both());
  EXPECT_EQ(server_saw, "http/1.1 localhost");
  EXPECT_EQ(client_got, std::to_string(big.size()));
}

TEST_P(tls, an_untrusted_ca_is_named) {
  const std::string e = client_error("untrusted", client_ctx());
  EXPECT_NE(e.find("unable to get local issuer certificate"), std::string::npos) << e;
  EXPECT_NE(e.find("127.0.0.1:"), std::string::npos) << e;
  EXPECT_NE(e.find("(localhost)"), std::string::npos) << e;
}

TEST_P(tls, a_wrong_host_name_is_a_hostname_mismatch) {
  const std::string e = client_error("server", client_ctx(), "example.com");
  EXPECT_NE(e.find("hostname mismatch"), std::string::npos) << e;
  EXPECT_NE(e.find("example.com"), std::string::npos) << e;
}

TEST_P(tls, an_ip_address_is_checked_against_the_certificate) {
  EXPECT_EQ(client_error("server", client_ctx(), "127.0.0.1"), "");
  const std::string e = client_error("server", client_ctx(), "127.0.0.2");
  EXPECT_NE(e.find("IP address mismatch"), std::string::npos) << e;
}

TEST_P(tls, a_self_signed_certificate_is_refused) {
  const std::string e = client_error("self", client_ctx());
  EXPECT_NE(e.find("self-signed certificate"), std::string::npos) << e;
}

TEST_P(tls, an_expired_certificate_is_refused) {
  const std::string e = client_error("expired", client_ctx());
  EXPECT_NE(e.find("certificate has expired"), std::string::npos) << e;
}

TEST_P(tls, the_system_store_alone_does_not_trust_the_test_ca) {
  const std::string e = client_error("server", brigade::tls_context::client());
  EXPECT_NE(e.find("certificate verify failed"), std::string::npos) << e;
}

TEST_P(tls, skipping_verification_accepts_anything) {
  const auto insecure = brigade::tls_context::client({.insecure_skip_verification = true});
  EXPECT_EQ(client_error("self", insecure, "whatever.example"), "");
}

TEST_P(tls, a_server_sending_garbage_is_an_error_not_a_hang) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  const auto at = l.local_endpoint();
  const auto cctx = client_ctx();
  auto server = [&]() -> brigade::task<void> {
    auto s = co_await l.accept();
    co_await s.write(std::string_view("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
    char buf[4096];
    try {
      while (co_await s.read(std::span<char>(buf)) != 0) {
      }
    } catch (const std::exception&) {
    }
  };
  auto client = [&]() -> brigade::task<std::string> {
    try {
      (void)co_await brigade::tls_stream::connect(cctx, loop(), at, "localhost");
    } catch (const brigade::tls_error& e) {
      co_return e.what();
    }
    co_return "";
  };
  auto both = [&]() -> brigade::task<std::string> {
    auto [a, b] = co_await brigade::when_all(server(), client());
    (void)a;
    co_return b;
  };
  const std::string e = loop().run_until(both());
  EXPECT_NE(e.find("brigade::tls_stream::handshake with 127.0.0.1:"), std::string::npos) << e;
}

TEST_P(tls, a_client_sending_garbage_is_an_error_not_a_hang) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  const auto at = l.local_endpoint();
  const auto sctx = server_ctx();
  auto server = [&]() -> brigade::task<std::string> {
    auto s = brigade::tls_stream::server(sctx, co_await l.accept());
    try {
      co_await s.handshake();
    } catch (const brigade::tls_error& e) {
      co_return e.what();
    }
    co_return "";
  };
  auto client = [&]() -> brigade::task<void> {
    auto s = co_await brigade::tcp_stream::connect(loop(), at);
    co_await s.write(std::string_view("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    char buf[256];
    try {
      while (co_await s.read(std::span<char>(buf)) != 0) {
      }
    } catch (const std::exception&) {
    }
  };
  auto both = [&]() -> brigade::task<std::string> {
    auto [a, b] = co_await brigade::when_all(server(), client());
    (void)b;
    co_return a;
  };
  const std::string e = loop().run_until(both());
  EXPECT_NE(e.find("brigade::tls_stream::handshake"), std::string::npos) << e;
}

TEST_P(tls, a_peer_that_closes_mid_handshake_or_mid_stream_is_an_error) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  const auto at = l.local_endpoint();
  const auto sctx = server_ctx();
  const auto cctx = client_ctx();
  auto server = [&]() -> brigade::task<std::string> {
    {
      auto s = co_await l.accept();  // closed without a word
    }
    auto s = brigade::tls_stream::server(sctx, co_await l.accept());
    co_await s.handshake();
    co_await s.write(std::string_view("partial"));
    s.close();  // no close_notify: a truncation
    co_return "";
  };
  auto client = [&]() -> brigade::task<std::string> {
    std::string out;
    try {
      (void)co_await brigade::tls_stream::connect(cctx, loop(), at, "localhost");
    } catch (const brigade::tls_error& e) {
      out += e.what();
    }
    out += "\n";
    auto s = co_await brigade::tls_stream::connect(cctx, loop(), at, "localhost");
    char buf[64];
    std::string got;
    try {
      for (;;) {
        const std::size_t n = co_await s.read(std::span<char>(buf));
        if (n == 0) break;
        got.append(buf, n);
      }
    } catch (const brigade::tls_error& e) {
      out += got + ": " + e.what();
    }
    co_return out;
  };
  auto both = [&]() -> brigade::task<std::string> {
    auto [a, b] = co_await brigade::when_all(server(), client());
    co_return b;
  };
  const std::string e = loop().run_until(both());
  EXPECT_NE(e.find("during the handshake\n"), std::string::npos) << e;
  EXPECT_NE(e.find("partial: "), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
}

TEST_P(tls, a_peer_reset_is_a_system_error) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  const auto at = l.local_endpoint();
  const auto sctx = server_ctx();
  const auto cctx = client_ctx();
  auto server = [&]() -> brigade::task<void> {
    auto s = brigade::tls_stream::server(sctx, co_await l.accept());
    co_await s.handshake();
    const ::linger reset{1, 0};  // close sends RST
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    s.close();
  };
  auto client = [&]() -> brigade::task<std::string> {
    auto s = co_await brigade::tls_stream::connect(cctx, loop(), at, "localhost");
    char buf[64];
    try {
      while (co_await s.read(std::span<char>(buf)) != 0) {
      }
    } catch (const std::system_error& e) {
      co_return e.code() == std::errc::connection_reset ? "reset" : e.what();
    } catch (const brigade::tls_error& e) {
      co_return e.what();
    }
    co_return "no error";
  };
  auto both = [&]() -> brigade::task<std::string> {
    auto [a, b] = co_await brigade::when_all(server(), client());
    (void)a;
    co_return b;
  };
  EXPECT_EQ(loop().run_until(both()), "reset");
}

TEST_P(tls, a_read_honours_the_stop_token) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  const auto at = l.local_endpoint();
  const auto sctx = server_ctx();
  const auto cctx = client_ctx();
  std::stop_source stop;
  auto server = [&]() -> brigade::task<void> {
    auto s = brigade::tls_stream::server(sctx, co_await l.accept());
    co_await s.handshake();
    char buf[16];
    try {
      (void)co_await s.read(std::span<char>(buf));  // the client never writes
    } catch (const std::exception&) {
    }
  };
  auto reader = [&](brigade::tls_stream& s) -> brigade::task<bool> {
    char buf[16];
    try {
      (void)co_await s.read(std::span<char>(buf));
    } catch (const brigade::operation_cancelled&) {
      co_return true;
    }
    co_return false;
  };
  auto client = [&]() -> brigade::task<bool> {
    auto s = co_await brigade::tls_stream::connect(cctx, loop(), at, "localhost");
    auto stopper = [&]() -> brigade::task<void> {
      co_await brigade::sleep_for(20ms);
      stop.request_stop();
    };
    auto [cancelled, done] = co_await brigade::when_all(
        brigade::with_stop_token(reader(s), stop.get_token()), stopper());
    (void)done;
    s.close();  // the server's read ends
    co_return cancelled;
  };
  auto both = [&]() -> brigade::task<bool> {
    auto [a, b] = co_await brigade::when_all(server(), client());
    (void)a;
    co_return b;
  };
  EXPECT_TRUE(loop().run_until(both()));
}

TEST_P(tls, wait_readable_sees_bytes_already_buffered) {
  brigade::tcp_listener l(loop(), brigade::endpoint::loopback(0));
  const auto at = l.local_endpoint();
  const auto sctx = server_ctx();
  const auto cctx = client_ctx();
  bool client_done = false;
  auto server = [&]() -> brigade::task<std::string> {
    auto s = brigade::tls_stream::server(sctx, co_await l.accept());
    co_await s.handshake();
    co_await s.wait_readable();
    char two[2];
    std::string got(two, co_await s.read(std::span<char>(two)));
    // The rest of the record is decrypted and buffered: the socket has nothing more to say.
    co_await s.wait_readable();
    char rest[16];
    got.append(rest, co_await s.read(std::span<char>(rest)));
    co_await s.write(std::string_view("."));
    co_return got;
  };
  auto client = [&]() -> brigade::task<void> {
    // The request goes out with the handshake's last message, as HTTP clients send it.
    auto s = co_await brigade::tls_stream::connect(cctx, loop(), at, "localhost");
    co_await s.write(std::string_view("abcdef"));
    char buf[4];
    (void)co_await s.read(std::span<char>(buf));  // the server's "." (or a session ticket first)
    client_done = true;
  };
  auto both = [&]() -> brigade::task<std::string> {
    auto [a, b] = co_await brigade::when_all(server(), client());
    (void)b;
    co_return a;
  };
  EXPECT_EQ(loop().run_until(both()), "abcdef");
  EXPECT_TRUE(client_done);
}

TEST(tls_files, a_missing_certificate_or_key_file_is_named) {
  try {
    (void)brigade::tls_context::server(
        {.cert_file = "/nonexistent/cert.pem", .key_file = cert("server.key")});
    ADD_FAILURE() << "no error";
  } catch (const brigade::tls_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/cert.pem"), std::string::npos) << e.what();
  }
  try {
    (void)brigade::tls_context::server(
        {.cert_file = cert("server.pem"), .key_file = "/nonexistent/k.pem"});
    ADD_FAILURE() << "no error";
  } catch (const brigade::tls_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/k.pem"), std::string::npos) << e.what();
  }
  try {
    (void)brigade::tls_context::server(
        {.cert_file = cert("server.pem"), .key_file = cert("self.key")});
    ADD_FAILURE() << "no error";
  } catch (const brigade::tls_error& e) {
    EXPECT_NE(std::string(e.what()).find("key values mismatch"), std::string::npos) << e.what();
  }
  try {
    (void)brigade::tls_context::client({.ca_file = "/nonexistent/ca.pem"});
    ADD_FAILURE() << "no error";
  } catch (const brigade::tls_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.pem"), std::string::npos) << e.what();
  }
}

BRIGADE_INSTANTIATE_ON_BACKENDS(tls);

}  // namespace
