// The key-value table: a sharded hash map of strings with expiry (a lazy check on access plus
// an incremental sweep), and the whole-table operations that run on the pool shard by shard.
#pragma once

#include "flat_table.hpp"
#include "siphash.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

/// Milliseconds on the steady clock: expiry deadlines never jump with the wall clock.
std::int64_t now_ms() noexcept;

/// Redis's glob (`*`, `?`, `[a-z]`, `[^x]`, `\` escapes), case-sensitive.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

/// Thread safety: every member may be called from any thread at once. Point operations lock
/// one shard. Whole-table operations (keys, sum_prefix, scan, flush) visit the shards one at
/// a time, each under its lock: every shard is seen as a snapshot, the table as a whole is not
/// (a key that exists for the whole call is seen exactly once; one written meanwhile may or
/// may not be) — the guarantee Redis gives for SCAN.
class kv_table {
 public:
  static constexpr std::size_t shard_count = 1024;

  enum class set_if : unsigned char { always, absent, present };  ///< SET, SET NX, SET XX
  enum class incr_status : unsigned char { ok, not_integer, overflow };
  struct incr_result {
    incr_status status;
    std::int64_t value;
  };

  kv_table();

  /// Calls f(value) under the shard's lock when key exists; false when it does not.
  template <class F>
  bool visit(std::string_view key, F&& f) {
    const std::uint64_t h = hash_of(key);
    shard& s = shard_of(h);
    std::lock_guard lock(s.mutex);
    const map::slot* e = find(s, key, h);
    if (e == nullptr) return false;
    std::invoke(f, e->pair.value());
    return true;
  }
  /// expire_at: a deadline in now_ms() terms, 0 for none. keep_ttl keeps an existing one.
  bool set(std::string_view key, std::string_view value, set_if when, std::int64_t expire_at,
           bool keep_ttl);
  bool erase(std::string_view key);
  bool contains(std::string_view key);
  incr_result incr_by(std::string_view key, std::int64_t delta);
  /// Sets a deadline (one in the past deletes the key); false when the key does not exist.
  bool expire(std::string_view key, std::int64_t expire_at);
  /// Milliseconds left; -1 without a deadline, -2 when the key does not exist.
  std::int64_t ttl_ms(std::string_view key);

  /// Keys (those expired but not yet swept included, as Redis's DBSIZE) and keys with a TTL.
  std::size_t size() const noexcept;
  std::size_t expiring() const noexcept;

  /// Whole-table operations, meant for the pool: they use parallel_for/parallel_reduce over
  /// the shards on the calling worker's pool. Each checks `stop` between shards: nullopt when
  /// it was requested (the client went away).
  std::optional<std::vector<std::string>> keys(std::string_view pattern, std::stop_token stop);
  struct prefix_sum {
    std::int64_t sum = 0;
    std::int64_t count = 0;  ///< keys with an integer value that were summed
    bool overflow = false;
  };
  std::optional<prefix_sum> sum_prefix(std::string_view prefix, std::stop_token stop);
  void flush();

  /// One SCAN step from shard `cursor`: appends the matching keys of whole shards until at
  /// least `count` keys were looked at; returns the next cursor, 0 at the end.
  std::size_t scan(std::size_t cursor, std::string_view pattern, std::size_t count,
                   std::vector<std::string>& out);

  /// Removes the expired keys of `n` shards starting at `from` (wrapping); returns how many.
  std::size_t sweep(std::size_t from, std::size_t n);

 private:
  // A slot of 48 bytes: the hash, the expiry deadline (0: none), and the key with its value
  // (inline while the two take at most 30 bytes).
  using map = flat_table<std::int64_t>;
  static_assert(sizeof(map::slot) == 48);
  struct alignas(64) shard {
    std::mutex mutex;
    map items;
    std::size_t with_deadline = 0;  // under mutex
    // Written under mutex, read without it by size() and expiring(): relaxed, a count only.
    std::atomic<std::size_t> count{0};
    std::atomic<std::size_t> expiring{0};
  };

  // Keyed with key_, drawn at random when the table is made: which keys collide cannot be
  // known outside the process, so a client cannot pile its keys into one run of slots.
  std::uint64_t hash_of(std::string_view key) const noexcept { return siphash(key_, key); }
  shard& shard_of(std::uint64_t hash) noexcept;
  // The live slot for key, erasing it first when it has expired. Caller holds s.mutex.
  map::slot* find(shard& s, std::string_view key, std::uint64_t hash);
  void erase_at(shard& s, map::slot& e);
  void publish(shard& s) noexcept;
  void set_deadline(shard& s, map::slot& e, std::int64_t expire_at) noexcept;

  sip_key key_;
  std::unique_ptr<shard[]> shards_;
};

}  // namespace kv
