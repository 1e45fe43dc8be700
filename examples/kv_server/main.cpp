// kv_server: an in-memory key-value server speaking RESP2 (redis-cli and redis-benchmark are
// its clients). Here: the flags, the runtime (event loops and the pool for heavy commands),
// one SO_REUSEPORT listener per loop, and the drain on SIGTERM or SIGINT.
#include "backend_flag.hpp"
#include "loop_server.hpp"
#include "server_config.hpp"

#include <brigade/core/scope.hpp>
#include <brigade/io/runtime.hpp>
#include <brigade/io/signal.hpp>
#include <brigade/trace/trace.hpp>

#include <CLI/CLI.hpp>

#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using server_list = std::vector<std::unique_ptr<kv::loop_server>>;

std::chrono::milliseconds from_seconds(double s) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(s));
}

std::optional<int> parse_flags(int argc, char** argv, kv::server_config& cfg,
                               brigade::endpoint& at) {
  CLI::App app{
      "An in-memory key-value server speaking the Redis protocol (RESP2). Point commands run on "
      "the event loops; KEYS, SUMPREFIX and FLUSHALL run on the pool. No persistence.",
      "kv_server"};
  double timeout = 0, write_timeout = 10, drain = 5;
  app.add_option("--port", cfg.port, "TCP port; 0 picks a free one (see the line on stdout)")
      ->capture_default_str();
  app.add_option("--bind", cfg.bind, "IPv4 or IPv6 address to listen on")->capture_default_str();
  app.add_option("--loops", cfg.loops, "event loops, each with its own SO_REUSEPORT listener")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--threads", cfg.threads, "pool workers for heavy commands (0: one per core)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  app.add_option("--maxclients", cfg.max_clients, "connected clients at most")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  app.add_option("--timeout", timeout, "seconds an idle client may stay (0: forever)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  app.add_option("--write-timeout", write_timeout,
                 "seconds a reply may wait for a client that does not read")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  app.add_option("--drain-timeout", drain, "seconds SIGTERM waits for clients to finish")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  app.add_option("--max-bulk", cfg.limits.max_bulk, "bytes in one argument at most")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--max-output", cfg.max_output,
                 "reply bytes gathered for one client before they are written")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 40))
      ->capture_default_str();
  app.add_option("--trace", cfg.trace, "record a brigade trace and write it to FILE at exit");
  std::string io;
  examples::add_backend_flag(app, io);
  try {
    app.parse(argc, argv);
    const std::string port = std::to_string(cfg.port);
    at = brigade::endpoint::parse(cfg.bind.find(':') == std::string::npos
                                      ? cfg.bind + ":" + port
                                      : "[" + cfg.bind + "]:" + port);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "kv_server: %s\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "kv_server: --bind: %s\n", e.what());
    return 2;
  }
  cfg.backend = examples::backend_from_flag(io);
  cfg.timeout = from_seconds(timeout);
  cfg.write_timeout = from_seconds(write_timeout);
  cfg.drain_timeout = from_seconds(drain);
  return std::nullopt;
}

void raise_descriptor_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

server_list listen(brigade::runtime& rt, kv::server_shared& shared, brigade::endpoint at) {
  server_list all;
  const bool several = rt.loop_count() > 1;
  for (std::size_t i = 0; i < rt.loop_count(); ++i) {
    brigade::tcp_listener l(rt.loop(i), at, brigade::tcp_listener::options{.reuse_port = several});
    if (i == 0) at = l.local_endpoint();
    // Loop 0 also sweeps expired keys: one sweeper is enough, the shards have locks.
    all.push_back(std::make_unique<kv::loop_server>(shared, std::move(l), i == 0));
  }
  return all;
}

brigade::task<void> run_on(brigade::event_loop& loop, kv::loop_server& server) {
  co_await loop.schedule();
  co_await server.run();
}

brigade::task<void> serve(brigade::runtime& rt, server_list& all, brigade::signal_set& signals) {
  brigade::scope running;
  for (std::size_t i = 0; i < all.size(); ++i) running.spawn(run_on(rt.loop(i), *all[i]));
  try {
    const int sig = co_await signals.wait();
    std::fprintf(stderr, "kv_server: %s: draining\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kv_server: waiting for signals failed (%s): draining\n", e.what());
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    co_await rt.loop(i).schedule();
    all[i]->begin_drain();
  }
  co_await running.join();
  co_await rt.loop(0).schedule();
}

}  // namespace

int main(int argc, char** argv) {
  kv::server_config cfg;
  brigade::endpoint at;
  try {
    if (const std::optional<int> code = parse_flags(argc, argv, cfg, at)) return *code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kv_server: %s\n", e.what());
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  raise_descriptor_limit();
  try {
    if (!cfg.trace.empty()) brigade::trace::start();
    brigade::runtime rt(brigade::runtime::options{.threads = cfg.threads,
                                                  .loops = cfg.loops,
                                                  .backend = cfg.backend,
                                                  .pool_nice = cfg.pool_nice});
    brigade::signal_set signals(rt.loop(0), {SIGTERM, SIGINT});
    kv::server_shared shared(cfg);
    server_list all = listen(rt, shared, at);
    shared.port = all[0]->local_endpoint().port();
    shared.pool_size = rt.pool().size();
    std::printf("listening on %s\n", all[0]->local_endpoint().to_string().c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "kv_server: %zu loop(s) (%s), %zu pool thread(s), no persistence\n",
                 rt.loop_count(), rt.loop(0).backend_name(), shared.pool_size);
    rt.block_on(serve(rt, all, signals));
    std::fprintf(stderr, "kv_server: drained, exiting\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kv_server: %s\n", e.what());
    return 1;
  }
  if (!cfg.trace.empty()) {
    try {
      const std::size_t n = brigade::trace::stop(cfg.trace);
      std::fprintf(stderr, "kv_server: %zu trace events written to %s\n", n, cfg.trace.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "kv_server: --trace: %s\n", e.what());
      return 1;
    }
  }
  return 0;
}
