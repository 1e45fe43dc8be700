// How many threads a default pool gets: BRIGADE_THREADS, validated, else the hardware's count.
#include <brigade/pool/pool.hpp>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace brigade::detail {

std::size_t parse_thread_count(const char* text) {
  const std::string s = text == nullptr ? "" : text;
  auto bad = [&](const char* why) {
    return std::invalid_argument("BRIGADE_THREADS=\"" + s + "\" is invalid: " + why);
  };
  if (s.empty()) throw bad("expected a positive integer, got an empty value");
  for (char c : s)
    if (c < '0' || c > '9') throw bad("expected a positive integer");
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno == ERANGE || v > max_threads)
    throw bad(("the limit is " + std::to_string(max_threads) + " threads").c_str());
  if (v == 0) throw bad("a pool needs at least 1 thread");
  return static_cast<std::size_t>(v);
}

std::size_t default_thread_count() {
  if (const char* env = std::getenv("BRIGADE_THREADS")) return parse_thread_count(env);
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

}  // namespace brigade::detail
