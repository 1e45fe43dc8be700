// brigade::connect to "host:port" and happy eyeballs over a list of addresses.
#include <brigade/core/scope.hpp>
#include <brigade/dns/connect.hpp>
#include <brigade/io/timer.hpp>

#include <cstddef>
#include <optional>
#include <stop_token>
#include <string_view>
#include <utility>

namespace brigade {
namespace {

/// The attempts' shared state. Every attempt and the coroutine that starts them run on the
/// loop's thread, so plain fields do.
struct race {
  explicit race(std::size_t n) : failures(n) {}
  std::optional<tcp_stream> winner;
  std::vector<std::string> failures;  // per address, once it failed
  std::size_t finished = 0;
  std::stop_source* wake = nullptr;  // the starter's current nap, cut short by any outcome
};

task<void> attempt(event_loop& loop, endpoint to, std::size_t index, race& r) {
  try {
    tcp_stream s = co_await tcp_stream::connect(loop, to);
    if (!r.winner) r.winner = std::move(s);
  } catch (const operation_cancelled&) {
    r.failures[index] = "cancelled";
  } catch (const std::exception& e) {
    r.failures[index] = e.what();
  }
  ++r.finished;
  if (r.wake != nullptr) r.wake->request_stop();
}

task<void> nap(event_loop& loop, std::chrono::milliseconds d) {
  co_await sleep_for(loop, d);
}

/// Splits "host:port", "[v6]:port"; resolve_error naming the text otherwise.
std::pair<std::string, std::string> split(const std::string& text) {
  auto bad = [&](const char* why) {
    return resolve_error("brigade::connect: \"" + text + "\": " + why);
  };
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw bad("expected [address]:port");
    return {text.substr(1, close - 1), text.substr(close + 2)};
  }
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw bad("expected host:port");
  if (text.find(':') != colon) throw bad("an IPv6 address needs brackets: [address]:port");
  if (colon == 0) throw bad("no host before the port");
  return {text.substr(0, colon), text.substr(colon + 1)};
}

}  // namespace

task<tcp_stream> connect(event_loop& loop, std::string host_port, resolver_options options) {
  auto [host, port] = split(host_port);
  std::vector<endpoint> addresses = co_await resolve(loop, host, port, std::move(options));
  co_return co_await connect_any(loop, std::move(addresses), host_port);
}

task<tcp_stream> connect_any(event_loop& loop, std::vector<endpoint> addresses, std::string what,
                             std::chrono::milliseconds delay) {
  if (addresses.empty())
    throw std::invalid_argument("brigade::connect: \"" + what + "\": no address to try");
  const std::stop_token outer = co_await this_task::stop_token;
  const std::size_t n = addresses.size();
  race r(n);
  scope attempts(outer);
  std::size_t started = 0;
  attempts.spawn(attempt(loop, addresses[started], started, r));
  ++started;
  while (!r.winner && r.finished < n && !outer.stop_requested()) {
    if (started < n && r.finished == started) {  // all started ones failed: no need to wait
      attempts.spawn(attempt(loop, addresses[started], started, r));
      ++started;
      continue;
    }
    // Wait for an outcome, or `delay` before starting the next address. The nap has a stop
    // token of its own, which an outcome requests; the outer one reaches the attempts
    // (through the scope), whose outcomes then end the nap.
    std::stop_source wake;
    r.wake = &wake;
    bool slept = false;
    try {
      co_await with_stop_token(nap(loop, started < n ? delay : std::chrono::hours(24)),
                               wake.get_token());
      slept = true;
    } catch (const operation_cancelled&) {
    }
    r.wake = nullptr;
    if (slept && started < n && !r.winner && !outer.stop_requested()) {
      attempts.spawn(attempt(loop, addresses[started], started, r));
      ++started;
    }
  }
  attempts.request_stop();  // the losers
  co_await attempts.join();
  if (r.winner) co_return std::move(*r.winner);
  if (outer.stop_requested()) throw operation_cancelled();
  std::string message = "brigade::connect: \"" + what + "\": no address connected:";
  for (std::size_t i = 0; i < started; ++i)
    message += (i == 0 ? " " : "; ") + addresses[i].to_string() + ": " + r.failures[i];
  throw connect_error(message);
}

}  // namespace brigade
