// Unit tests of kv_server's storage, without a server: the inline string, the open-addressing
// table against std::unordered_map as a model (with hashes chosen to collide, so clusters are
// long and wrap around the array's end), and the sharded table's expiry sweep.
#include "compact_pair.hpp"
#include "flat_table.hpp"
#include "kv_table.hpp"
#include "siphash.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using kv::compact_pair;
using kv::flat_table;

TEST(compact_pair, keeps_up_to_30_bytes_inline_and_more_on_the_heap) {
  compact_pair p;
  EXPECT_EQ(p.key(), "");
  EXPECT_EQ(p.value(), "");
  EXPECT_FALSE(p.on_heap());
  compact_pair q("key:000000012345", "xxx");  // redis-benchmark's key and value
  EXPECT_FALSE(q.on_heap());
  EXPECT_EQ(q.key(), "key:000000012345");
  EXPECT_EQ(q.value(), "xxx");
  const std::string k(20, 'k');
  q = compact_pair(k, std::string(10, 'v'));  // 30 bytes
  EXPECT_FALSE(q.on_heap());
  EXPECT_EQ(q.key(), k);
  EXPECT_EQ(q.value(), std::string(10, 'v'));
  q.set_value(std::string(11, 'w'));  // 31 bytes
  EXPECT_TRUE(q.on_heap());
  EXPECT_EQ(q.heap_capacity(), 31u);
  EXPECT_EQ(q.key(), k);
  EXPECT_EQ(q.value(), std::string(11, 'w'));
  q.set_value("");
  EXPECT_FALSE(q.on_heap());
  EXPECT_EQ(q.key(), k);
  EXPECT_EQ(q.value(), "");
  const std::string long_key(100, 'L');
  compact_pair r(long_key, "");
  EXPECT_TRUE(r.on_heap());
  EXPECT_EQ(r.key(), long_key);
  EXPECT_EQ(r.value(), "");
}

TEST(compact_pair, reuses_its_block_only_while_it_is_at_most_twice_the_need) {
  compact_pair p("key", std::string(97, 'a'));
  ASSERT_EQ(p.heap_capacity(), 100u);
  p.set_value(std::string(57, 'b'));  // 60 bytes
  EXPECT_EQ(p.heap_capacity(), 100u);
  EXPECT_EQ(p.value(), std::string(57, 'b'));
  p.set_value(std::string(37, 'c'));  // 40 bytes: less than half, a block of its own size
  EXPECT_EQ(p.heap_capacity(), 40u);
  EXPECT_EQ(p.value(), std::string(37, 'c'));
  p.set_value(std::string(997, 'd'));
  EXPECT_EQ(p.heap_capacity(), 1000u);
  EXPECT_EQ(p.key(), "key");
  EXPECT_EQ(p.value(), std::string(997, 'd'));
}

TEST(compact_pair, sets_a_part_of_its_own_value) {
  compact_pair p("k", "0123456789abcdefghijklmnopqrstuvwxyz");
  p.set_value(p.value().substr(2, 30));  // heap to heap, overlapping
  EXPECT_EQ(p.value(), "23456789abcdefghijklmnopqrstuv");
  p.set_value(p.value().substr(1, 5));  // heap to inline: the block is freed after the copy
  EXPECT_EQ(p.value(), "34567");
  EXPECT_FALSE(p.on_heap());
  p.set_value(p.value().substr(1));  // inline to inline
  EXPECT_EQ(p.value(), "4567");
  p.set_value(p.key());
  EXPECT_EQ(p.value(), "k");
  EXPECT_EQ(p.key(), "k");
}

TEST(compact_pair, a_move_leaves_the_source_empty) {
  compact_pair a("key", std::string(50, 'x'));
  compact_pair b(std::move(a));
  EXPECT_EQ(b.value(), std::string(50, 'x'));
  EXPECT_EQ(a.key(), "");  // NOLINT(bugprone-use-after-move): the documented state
  EXPECT_EQ(a.value(), "");
  compact_pair c("short", "pair");
  c = std::move(b);
  EXPECT_EQ(c.key(), "key");
  EXPECT_EQ(c.value(), std::string(50, 'x'));
  EXPECT_EQ(b.key(), "");  // NOLINT(bugprone-use-after-move)
}

using table = flat_table<std::int64_t>;

// Checks that t holds exactly the model's keys and values.
void expect_same(table& t, const std::unordered_map<std::string, std::string>& model,
                 std::uint64_t (*hash)(const std::string&)) {
  ASSERT_EQ(t.size(), model.size());
  for (const auto& [k, v] : model) {
    const table::slot* s = t.find(k, hash(k));
    ASSERT_NE(s, nullptr) << "lost key " << k;
    ASSERT_EQ(s->pair.value(), v) << "key " << k;
    ASSERT_EQ(s->extra, static_cast<std::int64_t>(v.size())) << "key " << k;
  }
  std::size_t seen = 0;
  t.for_each([&](const table::slot& s) {
    ++seen;
    const auto it = model.find(std::string(s.pair.key()));
    ASSERT_NE(it, model.end()) << "a key the model does not have: " << s.pair.key();
    EXPECT_EQ(s.pair.value(), it->second);
  });
  EXPECT_EQ(seen, model.size());
}

// Hashes with few distinct low bits, so most keys collide and clusters run over the array's
// end; the high bit is set by the table itself, so it must not matter.
std::uint64_t colliding_hash(const std::string& k) {
  return (std::hash<std::string>{}(k)&0x7) | (1ull << 63);
}
std::uint64_t real_hash(const std::string& k) {
  return std::hash<std::string>{}(k);
}

void run_model(std::uint32_t seed, std::uint64_t (*hash)(const std::string&)) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  table t;
  std::unordered_map<std::string, std::string> model;
  const int keyspace = 1 + static_cast<int>(rng() % 300);
  auto key = [&] {
    const int i = static_cast<int>(rng() % static_cast<unsigned>(keyspace));
    // Short keys inline and long ones on the heap.
    return (i % 5 == 0 ? std::string(30, 'L') : std::string()) + "k" + std::to_string(i);
  };
  for (int step = 0; step < 2000; ++step) {
    const unsigned op = rng() % 10;
    const std::string k = key();
    if (op < 5) {  // set
      const std::string v = std::to_string(rng()) + (rng() % 4 == 0 ? std::string(40, 'v') : "");
      table::slot* s = t.find(k, hash(k));
      if (s == nullptr)
        s = &t.insert(k, v, hash(k));
      else
        s->pair.set_value(v);
      s->extra = static_cast<std::int64_t>(v.size());  // must move with its key
      model[k] = v;
    } else if (op < 9) {  // erase
      table::slot* s = t.find(k, hash(k));
      ASSERT_EQ(s != nullptr, model.count(k) == 1) << "key " << k;
      if (s != nullptr) t.erase(*s);
      model.erase(k);
    } else {  // erase_if: every key whose value ends in a digit below 3
      auto doomed = [](std::string_view v) { return !v.empty() && v.back() < '3'; };
      std::size_t expected = 0;
      for (auto it = model.begin(); it != model.end();) {
        if (doomed(it->second)) {
          it = model.erase(it);
          ++expected;
        } else {
          ++it;
        }
      }
      EXPECT_EQ(t.erase_if([&](const table::slot& s) { return doomed(s.pair.value()); }), expected);
    }
    if (step % 50 == 0) expect_same(t, model, hash);
  }
  expect_same(t, model, hash);
  ASSERT_LE(t.size() * 4, t.capacity() * 3);
}

TEST(flat_table, agrees_with_a_model_when_most_keys_collide) {
  for (std::uint32_t seed = 0; seed < 40; ++seed) run_model(seed, colliding_hash);
}

TEST(flat_table, agrees_with_a_model_with_real_hashes) {
  for (std::uint32_t seed = 100; seed < 140; ++seed) run_model(seed, real_hash);
}

TEST(flat_table, erasing_at_the_end_pulls_back_a_cluster_that_wrapped_around) {
  // Capacity 8 (the first growth), four keys whose home is the last slot: they sit in 7, 0, 1
  // and 2. Erasing the one in 7 must move the others back, or the later ones get lost.
  table t;
  const std::uint64_t home7 = 7ull << 29;  // the low 32 bits scaled to 8 slots: 7
  for (const char* k : {"a", "b", "c", "d"}) t.insert(k, "v", home7);
  ASSERT_EQ(t.capacity(), 8u);
  t.erase(*t.find("a", home7));
  for (const char* k : {"b", "c", "d"}) EXPECT_NE(t.find(k, home7), nullptr) << k;
  t.erase(*t.find("c", home7));
  EXPECT_NE(t.find("b", home7), nullptr);
  EXPECT_NE(t.find("d", home7), nullptr);
  EXPECT_EQ(t.find("c", home7), nullptr);
  EXPECT_EQ(t.size(), 2u);
}

TEST(flat_table, a_moved_from_table_is_empty_and_usable) {
  table a;
  a.insert("x", "1", 1);
  table b(std::move(a));
  EXPECT_EQ(b.size(), 1u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): the documented state
  EXPECT_EQ(a.find("x", 1), nullptr);
  a.insert("y", "2", 2);
  EXPECT_NE(a.find("y", 2), nullptr);
}

TEST(siphash, gives_the_reference_values) {
  // The SipHash paper's key (bytes 00..0f) and its test vectors: the empty message and the
  // 15 bytes 00..0e.
  const kv::sip_key k{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  EXPECT_EQ(kv::siphash(k, ""), 0x726fdb47dd0e0e31ull);
  std::string m;
  for (char c = 0; c < 15; ++c) m += c;
  EXPECT_EQ(kv::siphash(k, m), 0xa129ca6149be45e5ull);
}

TEST(siphash, another_key_gives_other_hashes) {
  const kv::sip_key a{1, 2}, b{1, 3};
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "key:" + std::to_string(i);
    same += kv::siphash(a, key) == kv::siphash(b, key) ? 1 : 0;
  }
  EXPECT_EQ(same, 0);
}

TEST(kv_table, the_sweep_removes_exactly_the_expired_keys) {
  kv::kv_table t;
  const std::int64_t past = kv::now_ms() - 1, future = kv::now_ms() + 3'600'000;
  for (int i = 0; i < 20'000; ++i)
    ASSERT_TRUE(t.set("key:" + std::to_string(i), std::to_string(i), kv::kv_table::set_if::always,
                      i % 3 == 0 ? past : (i % 3 == 1 ? future : 0), false));
  EXPECT_EQ(t.size(), 20'000u);
  EXPECT_EQ(t.expiring(), 13'334u);  // i % 3 is 0 or 1
  const std::size_t removed = t.sweep(0, kv::kv_table::shard_count);
  EXPECT_EQ(removed, 6'667u);
  EXPECT_EQ(t.size(), 20'000u - 6'667u);
  EXPECT_EQ(t.expiring(), 6'667u);
  for (int i = 0; i < 20'000; ++i) {
    const std::string k = "key:" + std::to_string(i);
    EXPECT_EQ(t.contains(k), i % 3 != 0) << k;
    if (i % 3 != 0) {
      std::string got;
      EXPECT_TRUE(t.visit(k, [&](std::string_view v) { got = v; }));
      EXPECT_EQ(got, std::to_string(i));
    }
  }
}

TEST(kv_table, set_if_absent_incr_and_erase_keep_the_counts) {
  kv::kv_table t;
  EXPECT_TRUE(t.set("a", "1", kv::kv_table::set_if::absent, 0, false));
  EXPECT_FALSE(t.set("a", "2", kv::kv_table::set_if::absent, 0, false));
  EXPECT_FALSE(t.set("b", "2", kv::kv_table::set_if::present, 0, false));
  const auto r = t.incr_by("a", 41);
  EXPECT_EQ(r.status, kv::kv_table::incr_status::ok);
  EXPECT_EQ(r.value, 42);
  EXPECT_EQ(t.incr_by("n", -5).value, -5);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_TRUE(t.erase("a"));
  EXPECT_FALSE(t.erase("a"));
  EXPECT_EQ(t.size(), 1u);
  const std::string long_value(1000, 'z');
  EXPECT_TRUE(t.set("n", long_value, kv::kv_table::set_if::present, 0, false));
  EXPECT_EQ(t.incr_by("n", 1).status, kv::kv_table::incr_status::not_integer);
}

}  // namespace
