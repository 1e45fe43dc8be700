// web_server: an HTTP/1.1 server on brigade. Here: the flags, the runtime (event loops and a
// pool), one SO_REUSEPORT listener per loop, and the graceful drain on SIGTERM or SIGINT.
#include "backend_flag.hpp"
#include "loop_server.hpp"
#include "server_config.hpp"

#include <brigade/core/scope.hpp>
#include <brigade/io/runtime.hpp>
#include <brigade/io/signal.hpp>

#include <http_parser.h>
#include <CLI/CLI.hpp>

#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using server_list = std::vector<std::unique_ptr<web::loop_server>>;

std::chrono::milliseconds from_seconds(double s) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(s));
}

// Fills cfg and `at` from the command line. An exit code means: stop now (--help, a bad flag).
std::optional<int> parse_flags(int argc, char** argv, web::server_config& cfg,
                               brigade::endpoint& at) {
  CLI::App app{
      "An HTTP/1.1 server on brigade: keep-alive, pipelining, static files, and CPU "
      "work on the pool at /compute?n=N.",
      "web_server"};
  double idle = 30, header = 10, drain = 10;
  std::string root;
  const auto seconds = CLI::Range(0.001, 86400.0);
  app.add_option("--port", cfg.port, "TCP port; 0 picks a free one (see the line on stdout)")
      ->capture_default_str();
  app.add_option("--address", cfg.address, "IPv4 or IPv6 address to listen on")
      ->capture_default_str();
  app.add_option("--loops", cfg.loops, "event loops, each with its own SO_REUSEPORT listener")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--threads", cfg.threads,
                 "workers of the pool that runs /compute (0: BRIGADE_THREADS, else one per core)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  std::string io;
  examples::add_backend_flag(app, io);
  app.add_option("--pool-nice", cfg.pool_nice,
                 "niceness of the /compute pool's workers, so that it never delays the loops")
      ->check(CLI::Range(0, 19))
      ->capture_default_str();
  auto* root_dir = app.add_option("--root", root, "serve the files under this directory")
                       ->check(CLI::ExistingDirectory);
  app.add_flag("--follow-symlinks", cfg.follow_symlinks,
               "follow symbolic links under --root wherever they lead (by default a link out "
               "of the root is refused with 403)")
      ->needs(root_dir);
  auto* cert = app.add_option("--tls-cert", cfg.tls_cert,
                              "serve HTTPS with this PEM certificate (and chain); needs --tls-key")
                   ->check(CLI::ExistingFile);
  auto* key = app.add_option("--tls-key", cfg.tls_key, "the PEM private key of --tls-cert")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  app.add_option("--max-connections", cfg.max_connections, "open connections at most; more: 503")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  app.add_option("--idle-timeout", idle, "seconds a keep-alive connection (or a write) may stall")
      ->check(seconds)
      ->capture_default_str();
  app.add_option("--header-timeout", header, "seconds from a request's first byte to its end")
      ->check(seconds)
      ->capture_default_str();
  app.add_option("--drain-timeout", drain, "seconds SIGTERM waits for requests in flight")
      ->check(seconds)
      ->capture_default_str();
  try {
    app.parse(argc, argv);
    const std::string port = std::to_string(cfg.port);
    at = brigade::endpoint::parse(cfg.address.find(':') == std::string::npos
                                      ? cfg.address + ":" + port
                                      : "[" + cfg.address + "]:" + port);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help: the usage, on stdout
    std::fprintf(stderr, "web_server: %s\n", e.what());
    return 2;  // the usual exit code for a usage error
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "web_server: --address: %s\n", e.what());
    return 2;
  }
#if !WEB_SERVER_TLS
  if (!cfg.tls_cert.empty()) {
    std::fprintf(stderr,
                 "web_server: --tls-cert: built without TLS (brigade::tls needs OpenSSL)\n");
    return 2;
  }
#endif
  cfg.backend = examples::backend_from_flag(io);
  if (!root.empty()) cfg.root = std::filesystem::canonical(root);
  cfg.idle_timeout = from_seconds(idle);
  cfg.header_timeout = from_seconds(header);
  cfg.drain_timeout = from_seconds(drain);
  return std::nullopt;
}

// Each connection is a descriptor, and the usual soft limit (1024) is the first wall a busy
// server would hit; the hard limit is the administrator's word.
void raise_descriptor_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

// One listener per loop. With several, all share the port (SO_REUSEPORT): the kernel spreads
// new connections over them. Port 0: the first listener gets a free port, the others join it.
server_list listen(brigade::runtime& rt, web::server_shared& shared, brigade::endpoint at) {
  server_list all;
  const bool several = rt.loop_count() > 1;
  for (std::size_t i = 0; i < rt.loop_count(); ++i) {
    brigade::tcp_listener l(rt.loop(i), at, brigade::tcp_listener::options{.reuse_port = several});
    if (i == 0) at = l.local_endpoint();
    all.push_back(std::make_unique<web::loop_server>(shared, std::move(l)));
  }
  return all;
}

brigade::task<void> run_on(brigade::event_loop& loop, web::loop_server& server) {
  co_await loop.schedule();
  co_await server.run();
}

brigade::task<void> serve(brigade::runtime& rt, server_list& all, brigade::signal_set& signals) {
  brigade::scope running;
  for (std::size_t i = 0; i < all.size(); ++i) running.spawn(run_on(rt.loop(i), *all[i]));
  try {
    const int sig = co_await signals.wait();
    std::fprintf(stderr, "web_server: %s: draining\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "web_server: waiting for signals failed (%s): draining\n", e.what());
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    co_await rt.loop(i).schedule();  // a loop's server is touched only on that loop's thread
    all[i]->begin_drain();
  }
  co_await running.join();
  co_await rt.loop(0).schedule();  // join resumes where the last server ended; finish on loop 0
}

}  // namespace

int main(int argc, char** argv) {
  web::server_config cfg;
  brigade::endpoint at;
  try {
    if (const std::optional<int> code = parse_flags(argc, argv, cfg, at)) return *code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "web_server: %s\n", e.what());
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);  // a peer that vanished is an error to handle, not a reason to die
  raise_descriptor_limit();
  // Process-wide, so set before any thread parses: the header limit (431) is the parser's.
  http_parser_set_max_header_size(static_cast<std::uint32_t>(cfg.max_header_bytes));
  try {
    // The runtime's pool (the process's) does file work; /compute gets a pool of its own.
    brigade::runtime rt(brigade::runtime::options{.loops = cfg.loops, .backend = cfg.backend});
    brigade::signal_set signals(rt.loop(0), {SIGTERM, SIGINT});
    web::server_shared shared(cfg, rt.pool());
    server_list all = listen(rt, shared, at);
    std::printf("listening on %s\n", all[0]->local_endpoint().to_string().c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "web_server: %s, %zu loop(s) (%s), %zu computing thread(s)%s%s%s%s\n",
                 cfg.tls_cert.empty() ? "HTTP" : "HTTPS", rt.loop_count(),
                 rt.loop(0).backend_name(), shared.compute->size(), shared.root ? ", root " : "",
                 cfg.root.c_str(), shared.root ? ", " : "",
                 shared.root ? shared.root->describe().c_str() : "");
    rt.block_on(serve(rt, all, signals));
    std::fprintf(stderr, "web_server: drained, exiting\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "web_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
