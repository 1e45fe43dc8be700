// brigade::resolve on c-ares: one channel per call, driven by the event loop (src/dns/README.md).
#include <brigade/core/when_all.hpp>
#include <brigade/dns/resolve.hpp>
#include <brigade/io/detail/socket_base.hpp>
#include <brigade/io/timer.hpp>

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

namespace brigade {
namespace {

[[noreturn]] void fail(const std::string& host, const std::string& why) {
  throw resolve_error("brigade::resolve: \"" + host + "\": " + why);
}

/// The port of `port`: a number in 0..65535 or a service of /etc/services (TCP's number).
std::uint16_t parse_port(const std::string& host, const std::string& port) {
  if (port.empty()) fail(host, "empty port");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec == std::errc() && end == port.data() + port.size()) {
    if (value > 65535) fail(host, "port \"" + port + "\" is out of range (0..65535)");
    return static_cast<std::uint16_t>(value);
  }
  if (std::isdigit(static_cast<unsigned char>(port.front())) != 0)
    fail(host, "port \"" + port + "\" is not a number or a service name");
  servent entry{};
  servent* found = nullptr;
  std::array<char, 1024> buf{};
  if (getservbyname_r(port.c_str(), "tcp", &entry, buf.data(), buf.size(), &found) != 0 ||
      found == nullptr)
    fail(host, "port \"" + port + "\" is not a number or a service name of /etc/services");
  return ntohs(static_cast<std::uint16_t>(found->s_port));
}

endpoint from_sockaddr(const void* addr, std::size_t len, std::uint16_t port) {
  endpoint e;
  std::memcpy(e.data(), addr, std::min<std::size_t>(len, endpoint::capacity));
  e.size_ref() = static_cast<std::uint32_t>(len);
  auto* sa = static_cast<sockaddr*>(e.data());
  if (sa->sa_family == AF_INET)
    static_cast<sockaddr_in*>(e.data())->sin_port = htons(port);
  else
    static_cast<sockaddr_in6*>(e.data())->sin6_port = htons(port);
  return e;
}

/// "127.0.0.1", "::1", "[::1]" without a query; nullopt for a name.
std::optional<endpoint> numeric(std::string_view host, std::uint16_t port) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string text(host);
  sockaddr_in v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    return from_sockaddr(&v4, sizeof v4, port);
  }
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    return from_sockaddr(&v6, sizeof v6, port);
  }
  return std::nullopt;
}

void library_init() {
  // ares_library_init is not thread-safe: once per process, under the static's guard.
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  if (status != ARES_SUCCESS)
    throw resolve_error(std::string("brigade::resolve: c-ares: ") + ares_strerror(status));
}

/// What the query's callback leaves for the coroutine. Touched only by c-ares calls made by
/// the resolving coroutine, so on one thread at a time.
struct outcome {
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<endpoint> endpoints;
};

void on_addrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* res) {
  auto& out = *static_cast<outcome*>(arg);
  out.done = true;
  out.status = status;
  if (res == nullptr) return;
  for (const ares_addrinfo_node* n = res->nodes; n != nullptr; n = n->ai_next) {
    if (n->ai_family != AF_INET && n->ai_family != AF_INET6) continue;
    endpoint e;
    std::memcpy(e.data(), n->ai_addr, std::min<std::size_t>(n->ai_addrlen, endpoint::capacity));
    e.size_ref() = static_cast<std::uint32_t>(n->ai_addrlen);
    out.endpoints.push_back(e);
  }
  ares_freeaddrinfo(res);
}

/// The sockets c-ares wants watched, kept in an epoll set of our own: the loop waits for that
/// one descriptor to become readable (io_kind::poll_in, on either backend), which covers any
/// number of sockets and their writability too (c-ares wants it for TCP, which the core's
/// awaitables cannot wait for without writing).
struct watch_set {
  detail::fd_owner epoll;  // closed through the loop, which may have it registered
  int error = 0;           // the first failed epoll_ctl, reported by the coroutine

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto& self = *static_cast<watch_set*>(data);
    epoll_event ev{};
    ev.events = (readable != 0 ? EPOLLIN : 0U) | (writable != 0 ? EPOLLOUT : 0U);
    ev.data.fd = fd;
    const int epfd = self.epoll.native_handle();
    if (ev.events == 0) {
      ::epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);  // c-ares closes it next
      return;
    }
    if (::epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) == 0) return;
    if (errno == ENOENT && ::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0) return;
    if (self.error == 0) self.error = errno;
  }
};

/// A channel, destroyed (its queries ended with ARES_EDESTRUCTION) before the state they
/// point to.
struct channel {
  ares_channel ch = nullptr;
  channel() = default;
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;
  ~channel() {
    if (ch != nullptr) ares_destroy(ch);
  }
};

task<void> readable(event_loop& loop, int fd) {
  co_await detail::readiness_awaiter(loop, fd, "brigade::resolve: waiting for the DNS sockets");
}

task<void> nap(event_loop& loop, std::chrono::microseconds d) {
  co_await sleep_for(loop, d);
}

void set_servers(const std::string& host, ares_channel ch, const std::vector<endpoint>& servers) {
  std::vector<ares_addr_port_node> nodes(servers.size());
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const auto* sa = static_cast<const sockaddr*>(servers[i].data());
    auto& n = nodes[i];
    n.next = i + 1 < servers.size() ? &nodes[i + 1] : nullptr;
    n.family = sa->sa_family;
    if (sa->sa_family == AF_INET)
      std::memcpy(&n.addr.addr4, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr,
                  sizeof n.addr.addr4);
    else
      std::memcpy(&n.addr.addr6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr,
                  sizeof n.addr.addr6);
    const int port = servers[i].port() == 0 ? 53 : servers[i].port();
    n.udp_port = port;
    n.tcp_port = port;
  }
  const int status = ares_set_servers_ports(ch, nodes.data());
  if (status != ARES_SUCCESS)
    fail(host, std::string("setting the DNS servers: ") + ares_strerror(status));
}

}  // namespace

task<std::vector<endpoint>> resolve(event_loop& loop, std::string host, std::uint16_t port,
                                    resolver_options options) {
  return resolve(loop, std::move(host), std::to_string(port), std::move(options));
}

task<std::vector<endpoint>> resolve(event_loop& loop, std::string host, std::string port,
                                    resolver_options options) {
  const std::uint16_t port_number = parse_port(host, port);
  if (auto e = numeric(host, port_number)) co_return std::vector<endpoint>{*e};
  if (host.empty()) fail(host, "empty host name");
  library_init();

  // Declared before the channel: destroying it calls back into both.
  outcome out;
  watch_set watched;
  const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) fail(host, std::string("epoll_create1: ") + std::strerror(errno));
  watched.epoll = detail::fd_owner(loop, epfd);

  channel c;
  ares_options opts{};
  int mask = ARES_OPT_SOCK_STATE_CB;
  opts.sock_state_cb = &watch_set::on_sock_state;
  opts.sock_state_cb_data = &watched;
  if (options.query_timeout.count() > 0) {
    opts.timeout = static_cast<int>(options.query_timeout.count());
    mask |= ARES_OPT_TIMEOUTMS;
  }
  if (options.tries > 0) {
    opts.tries = options.tries;
    mask |= ARES_OPT_TRIES;
  }
  if (!options.servers.empty()) {
    // Servers of our own: the name is asked as it is, not with resolv.conf's search domains.
    opts.ndomains = 0;
    opts.domains = nullptr;
    mask |= ARES_OPT_DOMAINS;
  }
  const int init = ares_init_options(&c.ch, &opts, mask);
  if (init != ARES_SUCCESS) fail(host, std::string("c-ares: ") + ares_strerror(init));
  if (!options.servers.empty()) set_servers(host, c.ch, options.servers);

  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = ARES_AI_NUMERICSERV;
  const std::string service = std::to_string(port_number);
  ares_getaddrinfo(c.ch, host.c_str(), service.c_str(), &hints, &on_addrinfo, &out);

  // Each round waits for a socket (through the epoll set) or c-ares's next timeout, whichever
  // comes first, then lets c-ares read, write and time out what is due. A stop request
  // cancels both waits: when_any throws operation_cancelled and `c` drops the query.
  while (!out.done) {
    if (watched.error != 0) fail(host, std::string("epoll_ctl: ") + std::strerror(watched.error));
    timeval cap{1, 0};
    timeval left{};
    const timeval* tv = ares_timeout(c.ch, &cap, &left);
    const auto wait = std::chrono::seconds(tv->tv_sec) + std::chrono::microseconds(tv->tv_usec);
    co_await when_any(readable(loop, epfd), nap(loop, wait));
    std::array<epoll_event, 16> events{};
    const int n = ::epoll_wait(epfd, events.data(), static_cast<int>(events.size()), 0);
    for (int i = 0; i < n && !out.done; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      const std::uint32_t ev = events[static_cast<std::size_t>(i)].events;
      ares_process_fd(c.ch, (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 ? fd : ARES_SOCKET_BAD,
                      (ev & (EPOLLOUT | EPOLLERR)) != 0 ? fd : ARES_SOCKET_BAD);
    }
    if (!out.done) ares_process_fd(c.ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
  }
  if (out.status != ARES_SUCCESS) fail(host, ares_strerror(out.status));
  if (out.endpoints.empty()) fail(host, "no IPv4 or IPv6 address");
  for (auto& e : out.endpoints) e = from_sockaddr(e.data(), e.size(), port_number);
  co_return std::move(out.endpoints);
}

}  // namespace brigade
