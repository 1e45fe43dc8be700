// A race found by brigade::sim and replayed by its seed: concurrent account transfers that read
// a balance, wait (a database round trip, say), then write it back lose money — sometimes.
//
// sim::explore tries seeds until an interleaving breaks the invariant "money is conserved",
// prints the seed, and sim::run(seed, ...) then replays exactly that schedule, as often as you
// like (the schedule hash proves it is the same). The fix, an async_mutex per account taken in
// a fixed order, passes every seed.
#include <brigade/core/task.hpp>
#include <brigade/sim/explore.hpp>
#include <brigade/sim/sim.hpp>
#include <brigade/sync/async_mutex.hpp>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sim = brigade::sim;
using namespace std::chrono_literals;

struct account {
  long balance = 100;
  brigade::async_mutex lock;
};

// Moves `amount` from one account to another. With `safe`, both accounts are locked (lower
// index first, so two opposite transfers cannot deadlock) for the whole read-modify-write.
brigade::task<> transfer(std::vector<account>& bank, std::size_t from, std::size_t to, long amount,
                         bool safe) {
  std::optional<brigade::async_mutex::guard> first, second;
  if (safe) {
    first.emplace(co_await bank[std::min(from, to)].lock.lock());
    second.emplace(co_await bank[std::max(from, to)].lock.lock());
  }
  const long from_balance = bank[from].balance;
  co_await brigade::yield();  // a round trip to the database: other transfers may run meanwhile
  bank[from].balance = from_balance - amount;
  const long to_balance = bank[to].balance;
  co_await brigade::yield();
  bank[to].balance = to_balance + amount;
}

// The body every seed runs: four accounts, a handful of concurrent transfers, then the check.
std::function<brigade::task<>()> day_at_the_bank(bool safe) {
  return [safe]() -> brigade::task<> {
    std::vector<account> bank(4);
    const std::size_t moves[][2] = {{0, 1}, {2, 3}, {1, 2}};
    long amount = 10;
    for (const auto& m : moves) brigade::spawn(transfer(bank, m[0], m[1], amount++, safe));
    co_await brigade::sleep_for(1s);  // all transfers are done by then (virtual time)
    long total = 0;
    for (const account& a : bank) total += a.balance;
    if (total != 400)
      throw std::runtime_error("money not conserved: total " + std::to_string(total) +
                               " instead of 400");
  };
}

int main() {
  std::puts("racy transfers: exploring seeds...");
  const auto found = sim::explore({.first_seed = 1, .seeds = 1000}, day_at_the_bank(false));
  if (!found) {
    std::puts("no seed found the race (unexpected)");
    return 1;
  }

  std::printf("replaying seed %" PRIu64 " twice:\n", found->seed);
  std::uint64_t hashes[2] = {};
  for (auto& hash : hashes) {
    try {
      sim::run(found->seed, day_at_the_bank(false));
      std::puts("  the replay passed (unexpected)");
      return 1;
    } catch (const std::runtime_error& e) {
      hash = sim::last_run().schedule_hash;  // the schedule up to the failure
      std::printf("  %s\n", e.what());
    }
  }
  std::printf("  schedule hashes: %016" PRIx64 " and %016" PRIx64 ", found %016" PRIx64 "\n",
              hashes[0], hashes[1], found->schedule_hash);
  if (hashes[0] != hashes[1] || hashes[0] != found->schedule_hash) return 1;

  std::puts("locked transfers: exploring the same 1000 seeds...");
  if (sim::explore({.first_seed = 1, .seeds = 1000}, day_at_the_bank(true))) return 1;
  std::puts("  every seed conserves the money");
  return 0;
}
