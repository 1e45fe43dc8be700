// Schedule fuzzing's perturbation hook (BRIGADE_SCHEDULE_FUZZ; core/detail/atomic.hpp says why).
#include <brigade/core/detail/atomic.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

namespace brigade::detail {
namespace {

// The plain std::atomic, not the seam's: the hook must not call itself.
std::atomic<std::uint64_t> threads_seen{0};

std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// BRIGADE_SCHEDULE_SEED, or a random one; printed once, so that a failing run can be replayed.
std::uint64_t process_seed() noexcept {
  static const std::uint64_t seed = [] {
    std::uint64_t s = 0;
    if (const char* env = std::getenv("BRIGADE_SCHEDULE_SEED"); env != nullptr && *env != '\0') {
      s = std::strtoull(env, nullptr, 10);
    } else {
      std::random_device rd;
      s = (std::uint64_t{rd()} << 32) ^ rd() ^
          static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    std::fprintf(stderr, "brigade: schedule seed %llu\n", static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

struct thread_rng {
  std::uint64_t state = 0;
  bool seeded = false;
};
thread_local thread_rng rng;

}  // namespace

void schedule_point() noexcept {
  if (!rng.seeded) {
    // The thread's index is the order in which threads first reach the seam: with the same seed
    // the same threads (main, then the workers as they start) draw the same sequences.
    const std::uint64_t index = threads_seen.fetch_add(1, std::memory_order_relaxed);
    rng.state = process_seed() ^ (index * 0xd1b54a32d192ed03ULL);
    rng.seeded = true;
  }
  const std::uint64_t r = splitmix64(rng.state);
  const unsigned roll = static_cast<unsigned>(r & 1023);
  if (roll < 2) {
    // About 1 in 512: sleep 1 to 16 microseconds (the kernel's timer slack makes it ~50 more),
    // long enough for another thread to run a whole operation in between.
    std::this_thread::sleep_for(std::chrono::microseconds(1 + ((r >> 10) & 15)));
  } else if (roll < 18) {
    std::this_thread::yield();  // about 1 in 64: give the core away if anyone wants it
  }
}

}  // namespace brigade::detail
