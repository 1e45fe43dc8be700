// Routing, and the computed answers: the hello world, and /compute, whose CPU work is offloaded
// to the pool (the loop keeps serving meanwhile) and is itself a parallel reduction there.
#include "routes.hpp"

#include "static_files.hpp"

#include <brigade/core/errors.hpp>
#include <brigade/core/when_all.hpp>
#include <brigade/io/offload.hpp>
#include <brigade/io/timer.hpp>
#include <brigade/par/parallel_reduce.hpp>

#include <http_parser.h>
#include <poll.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace web {
namespace {

// The value of parameter `name` in a query string such as "a=1&n=42"; "" when it has none.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
  }
  return std::nullopt;
}

// Client input quoted in an error message: short, and printable ASCII only.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s.substr(0, 32)) out += ch >= 0x20 && ch < 0x7f ? ch : '?';
  if (s.size() > 32) out += "...";
  return out + "\"";
}

// Ends when the client hangs up (closes or shuts down its side), checked every few
// milliseconds: POLLRDHUP reports it even with unread input (a pipelined request) in front.
brigade::task<void> until_hang_up(int fd) {
  using namespace std::chrono_literals;
  for (;;) {
    co_await brigade::sleep_for(50ms);
    pollfd p{fd, POLLRDHUP, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) co_return;
  }
}

brigade::task<std::uint64_t> primes_on_the_pool(std::uint64_t n, brigade::pool& pool) {
  // The stop token reaches the work: queued, it is dropped; running, it stops between
  // segments.
  co_return co_await brigade::offload(
      pool, [n](std::stop_token stop) { return count_primes_below(n, std::move(stop)); });
}

brigade::task<response> compute(std::string_view query, server_shared& shared, int client_fd) {
  const server_config& cfg = shared.config;
  const std::optional<std::string_view> text = query_param(query, "n");
  if (!text) co_return text_response(400, "missing query parameter n: try /compute?n=1000000\n");
  std::uint64_t n = 0;
  const char* const last = text->data() + text->size();
  const auto [end, ec] = std::from_chars(text->data(), last, n);
  if (text->empty() || end != last || ec == std::errc::invalid_argument)
    co_return text_response(400, "n must be a whole number, got " + quoted(*text) + "\n");
  if (ec == std::errc::result_out_of_range || n > cfg.max_compute_n)
    co_return text_response(400, "n = " + quoted(*text) + " is too large: at most " +
                                     std::to_string(cfg.max_compute_n) + "\n");
  // The hybrid case: this connection waits for the pool while the loop serves the others. A
  // client that hangs up meanwhile takes its computation with it: the work is cancelled
  // instead of burning CPU for nobody (and delaying everyone queued behind it).
  auto done =
      co_await brigade::when_any(primes_on_the_pool(n, *shared.compute), until_hang_up(client_fd));
  if (done.index() == 1) throw brigade::operation_cancelled("the client hung up");
  const std::uint64_t primes = std::get<0>(done);
  co_return text_response(
      200, "primes below " + std::to_string(n) + ": " + std::to_string(primes) + "\n");
}

}  // namespace

std::uint64_t count_primes_below(std::uint64_t n, std::stop_token stop) {
  if (n <= 2) return 0;
  std::uint64_t root = 1;  // the largest r with r * r < n
  while ((root + 1) * (root + 1) < n) ++root;
  std::vector<std::uint32_t> base;  // the primes up to root sieve every segment
  std::vector<bool> sieved(root + 1);
  for (std::uint64_t i = 2; i <= root; ++i) {
    if (sieved[i]) continue;
    base.push_back(static_cast<std::uint32_t>(i));
    for (std::uint64_t j = i * i; j <= root; j += i) sieved[j] = true;
  }
  constexpr std::uint64_t segment = 1 << 16;
  const std::uint64_t segments = (n - 2 + segment - 1) / segment;  // cover [2, n)
  auto count = [&](std::size_t b, std::size_t e, std::uint64_t acc) {
    std::vector<char> composite(segment);
    for (std::size_t s = b; s < e; ++s) {
      if (stop.stop_requested()) throw brigade::operation_cancelled("count_primes_below");
      const std::uint64_t lo = 2 + s * segment;
      const std::uint64_t hi = std::min(n, lo + segment);
      std::fill(composite.begin(), composite.end(), 0);
      for (const std::uint64_t p : base) {
        if (p * p >= hi) break;
        for (std::uint64_t j = std::max(p * p, (lo + p - 1) / p * p); j < hi; j += p)
          composite[j - lo] = 1;
      }
      for (std::uint64_t i = lo; i < hi; ++i) acc += composite[i - lo] == 0 ? 1 : 0;
    }
    return acc;
  };
  return brigade::parallel_reduce(std::size_t{0}, static_cast<std::size_t>(segments),
                                  std::uint64_t{0}, count,
                                  [](std::uint64_t a, std::uint64_t b) { return a + b; });
}

brigade::task<response> route(const request& req, server_shared& shared, int client_fd) {
  http_parser_url url;
  http_parser_url_init(&url);
  if (http_parser_parse_url(req.target.data(), req.target.size(), 0, &url) != 0 ||
      (url.field_set & (1 << UF_PATH)) == 0)
    co_return text_response(400, "bad request target\n");
  auto field = [&](http_parser_url_fields f) {
    if ((url.field_set & (1 << f)) == 0) return std::string_view{};
    return std::string_view(req.target).substr(url.field_data[f].off, url.field_data[f].len);
  };
  const std::string_view path = field(UF_PATH);
  if (path == "/") co_return text_response(200, "Hello, World!");
  if (path == "/compute") co_return co_await compute(field(UF_QUERY), shared, client_fd);
  if (shared.root) co_return co_await static_file(req, path, *shared.root, shared.file_lane);
  co_return text_response(404, "not found\n");
}

}  // namespace web
