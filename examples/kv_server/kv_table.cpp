// The sharded table: point operations under one shard's lock, whole-table ones over the
// shards in parallel, each shard under its lock for as long as it is being read.
#include "kv_table.hpp"

#include <brigade/par/parallel_for.hpp>
#include <brigade/par/parallel_reduce.hpp>

#include <charconv>
#include <chrono>
#include <limits>
#include <random>

namespace kv {

std::int64_t now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

// One pattern element at p[i] against c; `len` is how many pattern bytes it spans.
bool match_one(std::string_view p, std::size_t i, char c, std::size_t& len) noexcept {
  if (p[i] == '?') {
    len = 1;
    return true;
  }
  if (p[i] == '\\' && i + 1 < p.size()) {
    len = 2;
    return p[i + 1] == c;
  }
  if (p[i] != '[') {
    len = 1;
    return p[i] == c;
  }
  std::size_t j = i + 1;
  const bool negate = j < p.size() && p[j] == '^';
  if (negate) ++j;
  bool hit = false;
  for (; j < p.size() && p[j] != ']'; ++j) {
    if (p[j] == '\\' && j + 1 < p.size()) {
      hit |= p[++j] == c;
    } else if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
      char lo = p[j], hi = p[j + 2];
      if (lo > hi) std::swap(lo, hi);
      hit |= c >= lo && c <= hi;
      j += 2;
    } else {
      hit |= p[j] == c;
    }
  }
  len = (j < p.size() ? j + 1 : j) - i;  // an unterminated class runs to the end, as in Redis
  return hit != negate;
}

bool parse_int(std::string_view s, std::int64_t& v) noexcept {
  if (s.empty() || s.size() > 20 || (s[0] == '0' && s.size() > 1)) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() && !(s[0] == '-' && v == 0);
}

}  // namespace

bool glob_match(std::string_view p, std::string_view s) noexcept {
  // Greedy with one backtrack point, the last star: O(|p| * |s|), never exponential.
  std::size_t pi = 0, si = 0, star = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = ++pi;
      star_s = si;
      continue;
    }
    std::size_t len = 0;
    if (pi < p.size() && match_one(p, pi, s[si], len)) {
      pi += len;
      ++si;
      continue;
    }
    if (star == std::string_view::npos) return false;
    pi = star;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

kv_table::kv_table() : shards_(new shard[shard_count]) {
  std::random_device entropy;  // the kernel's (getrandom), read once per table
  auto word = [&] { return (std::uint64_t{entropy()} << 32) | entropy(); };
  key_ = {word(), word()};
}

kv_table::shard& kv_table::shard_of(std::uint64_t hash) noexcept {
  // Bits 32 and up pick the shard; the shard's table uses the low ones.
  return shards_[(hash >> 32) % shard_count];
}

void kv_table::publish(shard& s) noexcept {
  s.count.store(s.items.size(), std::memory_order_relaxed);
  s.expiring.store(s.with_deadline, std::memory_order_relaxed);
}

void kv_table::set_deadline(shard& s, map::slot& e, std::int64_t expire_at) noexcept {
  s.with_deadline += (expire_at != 0 ? 1 : 0) - (e.extra != 0 ? 1 : 0);
  e.extra = expire_at;
}

void kv_table::erase_at(shard& s, map::slot& e) {
  if (e.extra != 0) --s.with_deadline;
  s.items.erase(e);
  publish(s);
}

kv_table::map::slot* kv_table::find(shard& s, std::string_view key, std::uint64_t hash) {
  map::slot* e = s.items.find(key, hash);
  if (e == nullptr) return nullptr;
  if (e->extra != 0 && e->extra <= now_ms()) {
    erase_at(s, *e);  // the lazy half of expiry
    return nullptr;
  }
  return e;
}

bool kv_table::set(std::string_view key, std::string_view value, set_if when,
                   std::int64_t expire_at, bool keep_ttl) {
  const std::uint64_t h = hash_of(key);
  shard& s = shard_of(h);
  std::lock_guard lock(s.mutex);
  map::slot* e = find(s, key, h);
  if ((when == set_if::absent && e != nullptr) || (when == set_if::present && e == nullptr))
    return false;
  if (e == nullptr)
    e = &s.items.insert(key, value, h);
  else
    e->pair.set_value(value);
  if (!keep_ttl) set_deadline(s, *e, expire_at);
  publish(s);
  return true;
}

bool kv_table::erase(std::string_view key) {
  const std::uint64_t h = hash_of(key);
  shard& s = shard_of(h);
  std::lock_guard lock(s.mutex);
  map::slot* e = find(s, key, h);
  if (e == nullptr) return false;
  erase_at(s, *e);
  return true;
}

bool kv_table::contains(std::string_view key) {
  const std::uint64_t h = hash_of(key);
  shard& s = shard_of(h);
  std::lock_guard lock(s.mutex);
  return find(s, key, h) != nullptr;
}

kv_table::incr_result kv_table::incr_by(std::string_view key, std::int64_t delta) {
  const std::uint64_t h = hash_of(key);
  shard& s = shard_of(h);
  std::lock_guard lock(s.mutex);
  map::slot* e = find(s, key, h);
  std::int64_t v = 0;
  if (e != nullptr && !parse_int(e->pair.value(), v)) return {incr_status::not_integer, 0};
  if (__builtin_add_overflow(v, delta, &v)) return {incr_status::overflow, 0};
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
  if (e == nullptr) {
    s.items.insert(key, text, h);
    publish(s);
  } else {
    e->pair.set_value(text);
  }
  return {incr_status::ok, v};
}

bool kv_table::expire(std::string_view key, std::int64_t expire_at) {
  const std::uint64_t h = hash_of(key);
  shard& s = shard_of(h);
  std::lock_guard lock(s.mutex);
  map::slot* e = find(s, key, h);
  if (e == nullptr) return false;
  if (expire_at <= now_ms()) {
    erase_at(s, *e);
  } else {
    set_deadline(s, *e, expire_at);
    publish(s);
  }
  return true;
}

std::int64_t kv_table::ttl_ms(std::string_view key) {
  const std::uint64_t h = hash_of(key);
  shard& s = shard_of(h);
  std::lock_guard lock(s.mutex);
  const map::slot* e = find(s, key, h);
  if (e == nullptr) return -2;
  if (e->extra == 0) return -1;
  return e->extra - now_ms();
}

std::size_t kv_table::size() const noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < shard_count; ++i)
    n += shards_[i].count.load(std::memory_order_relaxed);
  return n;
}

std::size_t kv_table::expiring() const noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < shard_count; ++i)
    n += shards_[i].expiring.load(std::memory_order_relaxed);
  return n;
}

std::optional<std::vector<std::string>> kv_table::keys(std::string_view pattern,
                                                       std::stop_token stop) {
  const bool all = pattern == "*";
  std::vector<std::vector<std::string>> found(shard_count);
  const std::int64_t now = now_ms();
  brigade::parallel_for(std::size_t{0}, shard_count,
                        [&](std::size_t i) {
                          if (stop.stop_requested()) return;
                          shard& s = shards_[i];
                          std::lock_guard lock(s.mutex);
                          found[i].reserve(s.items.size());
                          s.items.for_each([&](const map::slot& e) {
                            if (e.extra != 0 && e.extra <= now) return;
                            const std::string_view k = e.pair.key();
                            if (all || glob_match(pattern, k)) found[i].emplace_back(k);
                          });
                        },
                        {.grain = 8});
  if (stop.stop_requested()) return std::nullopt;
  std::vector<std::string> out;
  std::size_t total = 0;
  for (const auto& f : found) total += f.size();
  out.reserve(total);
  for (auto& f : found)
    for (auto& k : f) out.push_back(std::move(k));
  return out;
}

std::optional<kv_table::prefix_sum> kv_table::sum_prefix(std::string_view prefix,
                                                         std::stop_token stop) {
  const std::int64_t now = now_ms();
  auto add = [](prefix_sum a, const prefix_sum& b) {
    a.overflow = a.overflow || b.overflow || __builtin_add_overflow(a.sum, b.sum, &a.sum);
    a.count += b.count;
    return a;
  };
  const prefix_sum total = brigade::parallel_reduce(
      std::size_t{0}, shard_count, prefix_sum{},
      [&](std::size_t b, std::size_t e, prefix_sum acc) {
        for (std::size_t i = b; i < e && !stop.stop_requested(); ++i) {
          shard& s = shards_[i];
          std::lock_guard lock(s.mutex);
          s.items.for_each([&](const map::slot& en) {
            std::int64_t v = 0;
            if (!en.pair.key().starts_with(prefix) || (en.extra != 0 && en.extra <= now) ||
                !parse_int(en.pair.value(), v))
              return;
            acc = add(acc, prefix_sum{v, 1, false});
          });
        }
        return acc;
      },
      add, {.grain = 8});
  if (stop.stop_requested()) return std::nullopt;
  return total;
}

void kv_table::flush() {
  brigade::parallel_for(std::size_t{0}, shard_count, [&](std::size_t i) {
    shard& s = shards_[i];
    map gone;
    {
      std::lock_guard lock(s.mutex);
      gone.swap(s.items);
      s.with_deadline = 0;
      publish(s);
    }
    // `gone` is freed here, outside the lock.
  });
}

std::size_t kv_table::scan(std::size_t cursor, std::string_view pattern, std::size_t count,
                           std::vector<std::string>& out) {
  const std::int64_t now = now_ms();
  std::size_t looked = 0;
  while (cursor < shard_count && looked < count) {
    shard& s = shards_[cursor++];
    std::lock_guard lock(s.mutex);
    s.items.for_each([&](const map::slot& e) {
      ++looked;
      if (e.extra != 0 && e.extra <= now) return;
      const std::string_view k = e.pair.key();
      if (glob_match(pattern, k)) out.emplace_back(k);
    });
  }
  return cursor < shard_count ? cursor : 0;
}

std::size_t kv_table::sweep(std::size_t from, std::size_t n) {
  const std::int64_t now = now_ms();
  std::size_t removed = 0;
  for (std::size_t j = 0; j < n; ++j) {
    shard& s = shards_[(from + j) % shard_count];
    std::lock_guard lock(s.mutex);
    if (s.with_deadline == 0) continue;
    const std::size_t n_expired =
        s.items.erase_if([now](const map::slot& e) { return e.extra != 0 && e.extra <= now; });
    s.with_deadline -= n_expired;
    removed += n_expired;
    publish(s);
  }
  return removed;
}

}  // namespace kv
