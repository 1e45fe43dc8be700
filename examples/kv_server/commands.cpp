// The commands. Replies and error texts follow Redis 7 so that redis-cli shows what it would
// show against redis-server.
#include "commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <limits>
#include <thread>

namespace kv {
namespace {

constexpr std::string_view not_integer = "ERR value is not an integer or out of range";

bool to_int(std::string_view s, std::int64_t& v) noexcept {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// --- point commands: on the loop, O(arguments) ---

void ping(server_shared&, args_view a, std::string& out) {
  if (a.size() > 2) return reply::error(out, "ERR wrong number of arguments for 'ping' command");
  if (a.size() == 2) return reply::bulk(out, a[1]);
  reply::simple(out, "PONG");
}

void echo(server_shared&, args_view a, std::string& out) {
  reply::bulk(out, a[1]);
}

void get(server_shared& s, args_view a, std::string& out) {
  if (!s.table.visit(a[1], [&](std::string_view v) { reply::bulk(out, v); })) reply::null_bulk(out);
}

void set(server_shared& s, args_view a, std::string& out) {
  auto when = kv_table::set_if::always;
  std::int64_t expire_at = 0;
  bool keep_ttl = false;
  for (std::size_t i = 3; i < a.size(); ++i) {
    const bool nx = iequals(a[i], "nx"), xx = iequals(a[i], "xx");
    if (nx || xx) {
      const auto want = nx ? kv_table::set_if::absent : kv_table::set_if::present;
      if (when != kv_table::set_if::always && when != want)
        return reply::error(out, "ERR syntax error");
      when = want;
    } else if (iequals(a[i], "keepttl") && expire_at == 0) {
      keep_ttl = true;
    } else if ((iequals(a[i], "ex") || iequals(a[i], "px")) && i + 1 < a.size() && expire_at == 0 &&
               !keep_ttl) {
      const std::int64_t unit = iequals(a[i], "ex") ? 1000 : 1;
      std::int64_t n = 0;
      if (!to_int(a[++i], n)) return reply::error(out, not_integer);
      if (n <= 0 || n > std::numeric_limits<std::int64_t>::max() / 2000)
        return reply::error(out, "ERR invalid expire time in 'set' command");
      expire_at = now_ms() + n * unit;
    } else {
      return reply::error(out, "ERR syntax error");
    }
  }
  if (s.table.set(a[1], a[2], when, expire_at, keep_ttl)) return reply::simple(out, "OK");
  reply::null_bulk(out);
}

void del(server_shared& s, args_view a, std::string& out) {
  std::int64_t n = 0;
  for (std::size_t i = 1; i < a.size(); ++i) n += s.table.erase(a[i]) ? 1 : 0;
  reply::integer(out, n);
}

void exists(server_shared& s, args_view a, std::string& out) {
  std::int64_t n = 0;
  for (std::size_t i = 1; i < a.size(); ++i) n += s.table.contains(a[i]) ? 1 : 0;
  reply::integer(out, n);
}

void add(server_shared& s, std::string_view key, std::int64_t delta, std::string& out) {
  const auto r = s.table.incr_by(key, delta);
  switch (r.status) {
    case kv_table::incr_status::ok:
      return reply::integer(out, r.value);
    case kv_table::incr_status::not_integer:
      return reply::error(out, not_integer);
    case kv_table::incr_status::overflow:
      return reply::error(out, "ERR increment or decrement would overflow");
  }
}

void incr(server_shared& s, args_view a, std::string& out) {
  add(s, a[1], 1, out);
}

void decr(server_shared& s, args_view a, std::string& out) {
  add(s, a[1], -1, out);
}

void incrby(server_shared& s, args_view a, std::string& out) {
  std::int64_t d = 0;
  if (!to_int(a[2], d)) return reply::error(out, not_integer);
  add(s, a[1], d, out);
}

void decrby(server_shared& s, args_view a, std::string& out) {
  std::int64_t d = 0;
  if (!to_int(a[2], d) || d == std::numeric_limits<std::int64_t>::min())
    return reply::error(out, not_integer);
  add(s, a[1], -d, out);
}

void mget(server_shared& s, args_view a, std::string& out) {
  reply::array(out, a.size() - 1);
  for (std::size_t i = 1; i < a.size(); ++i)
    if (!s.table.visit(a[i], [&](std::string_view v) { reply::bulk(out, v); }))
      reply::null_bulk(out);
}

void mset(server_shared& s, args_view a, std::string& out) {
  if (a.size() % 2 == 0)
    return reply::error(out, "ERR wrong number of arguments for 'mset' command");
  for (std::size_t i = 1; i < a.size(); i += 2)
    s.table.set(a[i], a[i + 1], kv_table::set_if::always, 0, false);
  reply::simple(out, "OK");
}

void expire_in(server_shared& s, args_view a, std::string& out, std::int64_t unit) {
  std::int64_t n = 0;
  if (!to_int(a[2], n)) return reply::error(out, not_integer);
  if (n > std::numeric_limits<std::int64_t>::max() / 2000 ||
      n < std::numeric_limits<std::int64_t>::min() / 2000)
    return reply::error(out, unit == 1 ? "ERR invalid expire time in 'pexpire' command"
                                       : "ERR invalid expire time in 'expire' command");
  reply::integer(out, s.table.expire(a[1], now_ms() + n * unit) ? 1 : 0);
}

void expire(server_shared& s, args_view a, std::string& out) {
  expire_in(s, a, out, 1000);
}

void pexpire(server_shared& s, args_view a, std::string& out) {
  expire_in(s, a, out, 1);
}

void ttl(server_shared& s, args_view a, std::string& out) {
  const std::int64_t ms = s.table.ttl_ms(a[1]);
  reply::integer(out, ms < 0 ? ms : (ms + 500) / 1000);
}

void pttl(server_shared& s, args_view a, std::string& out) {
  reply::integer(out, s.table.ttl_ms(a[1]));
}

void dbsize(server_shared& s, args_view, std::string& out) {
  reply::integer(out, static_cast<std::int64_t>(s.table.size()));
}

void scan(server_shared& s, args_view a, std::string& out) {
  std::int64_t cursor = 0;
  if (!to_int(a[1], cursor) || cursor < 0) return reply::error(out, "ERR invalid cursor");
  std::string_view pattern = "*";
  std::int64_t count = 10;
  for (std::size_t i = 2; i < a.size(); i += 2) {
    if (i + 1 >= a.size()) return reply::error(out, "ERR syntax error");
    if (iequals(a[i], "match")) {
      pattern = a[i + 1];
    } else if (iequals(a[i], "count")) {
      if (!to_int(a[i + 1], count)) return reply::error(out, not_integer);
      if (count < 1) return reply::error(out, "ERR syntax error");
    } else {
      return reply::error(out, "ERR syntax error");
    }
  }
  std::vector<std::string> keys;
  const std::size_t next = s.table.scan(static_cast<std::size_t>(cursor), pattern,
                                        static_cast<std::size_t>(count), keys);
  reply::array(out, 2);
  reply::bulk(out, std::to_string(next));
  reply::array(out, keys.size());
  for (const std::string& k : keys) reply::bulk(out, k);
}

void info(server_shared& s, args_view, std::string& out) {
  const auto up = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::steady_clock::now() - s.started);
  const server_stats& st = s.stats;
  auto n = [](const auto& a) { return std::to_string(a.load(std::memory_order_relaxed)); };
  const std::string text =
      "# Server\r\nredis_version:7.0.0\r\nserver:brigade-kv\r\nprocess_id:" +
      std::to_string(::getpid()) + "\r\ntcp_port:" + std::to_string(s.port) +
      "\r\nuptime_in_seconds:" + std::to_string(up.count()) +
      "\r\nevent_loops:" + std::to_string(s.config.loops) +
      "\r\npool_threads:" + std::to_string(s.pool_size) +
      "\r\n\r\n# Clients\r\nconnected_clients:" + n(st.clients) +
      "\r\nmaxclients:" + std::to_string(s.config.max_clients) +
      "\r\n\r\n# Persistence\r\npersistence:none\r\n\r\n# Stats\r\ntotal_connections_received:" +
      n(st.connections) + "\r\nrejected_connections:" + n(st.rejected) +
      "\r\ntotal_commands_processed:" + n(st.commands) + "\r\nexpired_keys:" + n(st.expired) +
      "\r\nheavy_commands_running:" + n(st.heavy_running) +
      "\r\nheavy_commands_done:" + n(st.heavy_done) +
      "\r\nheavy_commands_cancelled:" + n(st.heavy_cancelled) + "\r\n\r\n# Keyspace\r\n" +
      (s.table.size() == 0 ? std::string()
                           : "db0:keys=" + std::to_string(s.table.size()) +
                                 ",expires=" + std::to_string(s.table.expiring()) + "\r\n");
  reply::bulk(out, text);
}

// Enough of CONFIG GET for redis-benchmark, which asks for "save" and "appendonly".
void config(server_shared&, args_view a, std::string& out) {
  if (!iequals(a[1], "get") || a.size() != 3)
    return reply::error(out, "ERR CONFIG: only CONFIG GET parameter is supported");
  if (a[2] == "save" || a[2] == "appendonly") {
    reply::array(out, 2);
    reply::bulk(out, a[2]);
    reply::bulk(out, a[2] == "save" ? "" : "no");
    return;
  }
  reply::array(out, 0);
}

// redis-cli asks for COMMAND DOCS when it starts interactively: no docs here.
void command_docs(server_shared&, args_view, std::string& out) {
  reply::array(out, 0);
}

// QUIT's reply; the connection closes after it.
void quit(server_shared&, args_view, std::string& out) {
  reply::simple(out, "OK");
}

// --- heavy commands: on the pool, over every shard ---

std::optional<std::string> keys(server_shared& s, args_view a, std::stop_token stop) {
  auto found = s.table.keys(a[1], stop);
  if (!found) return std::nullopt;
  std::string out;
  std::size_t bytes = 16;
  for (const std::string& k : *found) bytes += k.size() + 16;
  out.reserve(bytes);
  reply::array(out, found->size());
  for (const std::string& k : *found) reply::bulk(out, k);
  return out;
}

// SUMPREFIX prefix: the sum of the integer values of the keys that start with prefix, and how
// many there were; values that are not integers are skipped.
std::optional<std::string> sumprefix(server_shared& s, args_view a, std::stop_token stop) {
  const auto r = s.table.sum_prefix(a[1], stop);
  if (!r) return std::nullopt;
  std::string out;
  if (r->overflow) {
    reply::error(out, "ERR the sum overflows a 64-bit integer");
  } else {
    reply::array(out, 2);
    reply::integer(out, r->sum);
    reply::integer(out, r->count);
  }
  return out;
}

std::optional<std::string> flushall(server_shared& s, args_view a, std::stop_token) {
  std::string out;
  if (a.size() > 2 || (a.size() == 2 && !iequals(a[1], "sync") && !iequals(a[1], "async"))) {
    reply::error(out, "ERR syntax error");
  } else {
    s.table.flush();  // not cancelled: half a flush would be no answer at all
    reply::simple(out, "OK");
  }
  return out;
}

// DEBUG SLEEP seconds: as in Redis, but on a pool worker, so that only this client waits (in
// Redis every client does). It watches its stop token: a client that hangs up ends it.
std::optional<std::string> debug(server_shared&, args_view a, std::stop_token stop) {
  std::string out;
  double seconds = -1;
  if (a.size() == 3) std::from_chars(a[2].data(), a[2].data() + a[2].size(), seconds);
  if (a.size() != 3 || !iequals(a[1], "sleep") || seconds < 0 || seconds > 3600) {
    reply::error(out, "ERR only DEBUG SLEEP seconds is supported");
    return out;
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (stop.stop_requested()) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  reply::simple(out, "OK");
  return out;
}

constexpr std::array commands{
    command{"ping", -1, ping},
    command{"echo", 2, echo},
    command{"get", 2, get},
    command{"set", -3, set},
    command{"del", -2, del},
    command{"exists", -2, exists},
    command{"incr", 2, incr},
    command{"decr", 2, decr},
    command{"incrby", 3, incrby},
    command{"decrby", 3, decrby},
    command{"mget", -2, mget},
    command{"mset", -3, mset},
    command{"expire", 3, expire},
    command{"pexpire", 3, pexpire},
    command{"ttl", 2, ttl},
    command{"pttl", 2, pttl},
    command{"dbsize", 1, dbsize},
    command{"scan", -2, scan},
    command{"info", -1, info},
    command{"config", -2, config},
    command{"command", -1, command_docs},
    command{"quit", -1, quit},
    command{"keys", 2, nullptr, keys},
    command{"sumprefix", 2, nullptr, sumprefix},
    command{"flushall", -1, nullptr, flushall},
    command{"debug", -2, nullptr, debug},
};

}  // namespace

const command* find_command(std::string_view name) {
  for (const command& c : commands)
    if (iequals(c.name, name)) return &c;
  return nullptr;
}

bool reject(const command* cmd, args_view a, std::string& out) {
  if (cmd == nullptr) {
    // Redis: the name and the first arguments, each cut at 128 bytes.
    // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on "..." + string.
    std::string args;
    for (std::size_t i = 1; i < a.size() && args.size() < 128; ++i) {
      args += '\'';
      args.append(a[i].substr(0, 128 - args.size()));
      args += "' ";
    }
    std::string e = "ERR unknown command '";
    e.append(a[0].substr(0, 128));
    e += "', with args beginning with: ";
    e += args;
    for (char& c : e)
      if (c == '\r' || c == '\n') c = ' ';  // an error is one line
    reply::error(out, e);
    return true;
  }
  const auto n = static_cast<int>(std::min<std::size_t>(a.size(), 1'000'000));
  if ((cmd->arity > 0 && n != cmd->arity) || (cmd->arity < 0 && n < -cmd->arity)) {
    std::string e = "ERR wrong number of arguments for '";
    e.append(cmd->name);
    e += "' command";
    reply::error(out, e);
    return true;
  }
  return false;
}

}  // namespace kv
