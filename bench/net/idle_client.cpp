// Opens N keep-alive TCP connections to a server on 127.0.0.1 and holds them idle until
// SIGTERM or SIGINT, for measuring what an idle connection costs the server (bench/net).
// With --request (the default), each connection first sends one "GET /" and reads the whole
// response, so the server holds it as a used keep-alive connection waiting for its next
// request; --no-request leaves them fresh (accepted, never used).
//
//   idle_client --port P [--connections N] [--no-request] [--ready-file F]
//
// Prints "holding N" on stdout once every connection is open (and creates F, if given); exits
// with 1 if a connection fails or the server closes one while held.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) {
  stop_requested = 1;
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "idle_client: %s\n", what.c_str());
  std::exit(1);
}

// Reads one response whose body is Content-Length bytes (what every server under test sends).
void read_response(int fd) {
  std::string in;
  char chunk[1024];
  for (;;) {
    const std::size_t head = in.find("\r\n\r\n");
    if (head != std::string::npos) {
      const std::size_t cl = in.find("Content-Length: ");
      std::size_t body = 0;
      if (cl != std::string::npos && cl < head) {
        const char* p = in.data() + cl + 16;
        std::from_chars(p, in.data() + head, body);
      }
      if (in.size() >= head + 4 + body) return;
    }
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) fail("the server closed a connection before answering");
    in.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  unsigned port = 0;
  std::size_t count = 10'000;
  bool request = true;
  std::string ready_file;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) fail("missing value after " + std::string(a));
      return argv[++i];
    };
    auto number = [&](std::string_view v) {
      std::size_t n = 0;
      if (v.empty() || std::from_chars(v.data(), v.data() + v.size(), n).ptr != v.data() + v.size())
        fail(std::string(a) + " needs a whole number, got '" + std::string(v) + "'");
      return n;
    };
    if (a == "--port") {
      port = static_cast<unsigned>(number(value()));
    } else if (a == "--connections") {
      count = number(value());
    } else if (a == "--no-request") {
      request = false;
    } else if (a == "--ready-file") {
      ready_file = value();
    } else {
      fail("unknown flag " + std::string(a) +
           " (usage: idle_client --port P [--connections N] [--no-request] [--ready-file F])");
    }
  }
  if (port == 0 || port > 65535) fail("--port P is required (1..65535)");
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);

  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  constexpr std::string_view get = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  std::vector<pollfd> fds;
  fds.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      fail("socket: " + std::string(std::strerror(errno)) + " after " + std::to_string(i));
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0)
      fail("connect: " + std::string(std::strerror(errno)) + " after " + std::to_string(i));
    if (request) {
      if (::write(fd, get.data(), get.size()) != static_cast<ssize_t>(get.size()))
        fail("write: " + std::string(std::strerror(errno)));
      read_response(fd);
    }
    fds.push_back({fd, POLLIN, 0});
  }
  std::printf("holding %zu\n", count);
  std::fflush(stdout);
  if (!ready_file.empty()) std::ofstream(ready_file) << count << "\n";
  // Held: any readable connection means the server closed (or wrote) something it should not.
  int status = 0;
  while (stop_requested == 0) {
    const int n = ::poll(fds.data(), fds.size(), 200);
    if (n > 0) {
      std::fprintf(stderr, "idle_client: the server closed or wrote to %d held connection(s)\n", n);
      status = 1;
      break;
    }
  }
  for (const pollfd& p : fds) ::close(p.fd);
  return status;
}
