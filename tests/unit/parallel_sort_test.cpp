// brigade::parallel_sort: equal to std::sort on both paths (radix and merge) for many types and
// sizes, special inputs, move-only and non-default-constructible values, range forms, options,
// errors, exceptions.
#include <brigade/par/parallel_for.hpp>
#include <brigade/par/parallel_sort.hpp>

#include "support/flavours.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

using brigade::testing::on_pool;

// Around the serial cutoff (2^14) and the leaf and block sizes, and primes; a few tests add
// `large`.
const std::vector<std::size_t> sizes = {0,    1,     2,     3,     5,     17,    97,
                                        1009, 16383, 16384, 16385, 65537, 100003};
const std::size_t moderate = 40009;  // for values that are slow to compare or move
const std::size_t large = 1000000;

template <class It, class Compare>
constexpr bool radix_path = brigade::detail::radix_sortable<It, Compare>;

using u64_it = std::vector<std::uint64_t>::iterator;
static_assert(radix_path<u64_it, std::less<>>);
static_assert(radix_path<u64_it, std::less<std::uint64_t>>);
static_assert(radix_path<std::int8_t*, std::less<>>);
static_assert(!radix_path<u64_it, std::greater<>>);
static_assert(!radix_path<std::vector<bool>::iterator, std::less<>>);
static_assert(!radix_path<std::deque<int>::iterator, std::less<>>);
static_assert(!radix_path<std::vector<double>::iterator, std::less<>>);

template <class T>
std::vector<T> random_integers(std::size_t n, unsigned seed, T lo = std::numeric_limits<T>::min(),
                               T hi = std::numeric_limits<T>::max()) {
  std::mt19937_64 gen(seed);
  // uniform_int_distribution does not take 8-bit types.
  using wide = std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>;
  std::uniform_int_distribution<wide> dist(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(dist(gen));
  return v;
}

std::vector<std::string> random_strings(std::size_t n, unsigned seed, int letters) {
  std::mt19937 gen(seed);
  std::vector<std::string> v(n);
  for (auto& s : v) {
    s.resize(gen() % 24);  // some fit the small-string buffer, some do not
    for (auto& c : s)
      c = static_cast<char>('a' + static_cast<int>(gen() % static_cast<unsigned>(letters)));
  }
  return v;
}

// Sorts v with parallel_sort (the two-argument form when no comparator is given) and compares
// with std::sort.
template <class T, class... Compare>
void expect_sorted_like_std(brigade::pool& p, std::vector<T> v, Compare... comp) {
  std::vector<T> expected = v;
  std::sort(expected.begin(), expected.end(), comp...);
  brigade::parallel_sort(v.begin(), v.end(), comp..., {.pool = &p});
  EXPECT_TRUE(v == expected) << "n = " << v.size();
}

// Which spellings compile: a pool first no longer does.
template <class... Args>
concept parallel_sort_accepts = requires(Args&&... args) {
  brigade::parallel_sort(std::forward<Args>(args)...);
};
using int_iterator = std::vector<int>::iterator;
static_assert(parallel_sort_accepts<int_iterator, int_iterator>);
static_assert(parallel_sort_accepts<int_iterator, int_iterator, brigade::sort_options>);
static_assert(
    parallel_sort_accepts<int_iterator, int_iterator, std::greater<>, brigade::sort_options>);
static_assert(parallel_sort_accepts<std::vector<int>&>);
static_assert(parallel_sort_accepts<std::vector<int>&, std::greater<>, brigade::sort_options>);
static_assert(parallel_sort_accepts<std::vector<int>&, brigade::sort_options>);
static_assert(!parallel_sort_accepts<brigade::pool&, int_iterator, int_iterator>);
static_assert(!parallel_sort_accepts<brigade::pool&, int_iterator, int_iterator, std::greater<>>);

class sort_on_pool : public on_pool {};

TEST_P(sort_on_pool, uint64_radix) {
  for (std::size_t n : sizes) expect_sorted_like_std(pool(), random_integers<std::uint64_t>(n, 1));
  expect_sorted_like_std(pool(), random_integers<std::uint64_t>(large, 2));
  expect_sorted_like_std(pool(), random_integers<std::uint64_t>(100003, 3), std::less<>());
}

TEST_P(sort_on_pool, int32_with_negatives) {
  for (std::size_t n : sizes) expect_sorted_like_std(pool(), random_integers<std::int32_t>(n, 4));
  expect_sorted_like_std(pool(), random_integers<std::int32_t>(large, 5, -1000, 1000));
  expect_sorted_like_std(pool(), random_integers<std::int32_t>(100003, 6),
                         std::less<std::int32_t>());
}

TEST_P(sort_on_pool, narrow_integers) {
  for (std::size_t n : sizes) {
    expect_sorted_like_std(pool(), random_integers<std::int8_t>(n, 7));
    expect_sorted_like_std(pool(), random_integers<std::uint8_t>(n, 8));
    expect_sorted_like_std(pool(), random_integers<std::uint16_t>(n, 9));
    expect_sorted_like_std(pool(), random_integers<std::int16_t>(n, 10));
    expect_sorted_like_std(pool(), random_integers<char>(n, 11));
  }
}

TEST_P(sort_on_pool, radix_skips_constant_bytes_correctly) {
  // Only some bytes differ: the low ones, only the top one, the sign and the low ones.
  const std::size_t n = 100003;
  expect_sorted_like_std(pool(), random_integers<std::uint64_t>(n, 12, 0, 999));
  auto top = random_integers<std::uint64_t>(n, 13);
  for (auto& x : top) x &= 0xff00'0000'0000'0000u;
  expect_sorted_like_std(pool(), top);
  expect_sorted_like_std(pool(), random_integers<std::int64_t>(n, 14, -3, 3));
  auto middle = random_integers<std::uint32_t>(n, 15);
  for (auto& x : middle) x = (x & 0x00ff'0000u) | 0x1200'0034u;
  expect_sorted_like_std(pool(), middle);
  expect_sorted_like_std(pool(), random_integers<std::int64_t>(n, 16));
}

TEST_P(sort_on_pool, radix_pieces_larger_than_the_cache) {
  // Eight values of the top byte: pieces of 75000 keys, too large for the cache, split again.
  const std::size_t n = 600000;
  auto eight = random_integers<std::uint64_t>(n, 41);
  for (auto& x : eight) x = (x & 0x0000'ffff'ffff'ffffu) | (x % 8) << 56;
  expect_sorted_like_std(pool(), eight);
  // Skewed: nine keys in ten are small, so one piece holds most keys (split in parallel).
  auto skewed = random_integers<std::uint64_t>(n / 2, 42);
  for (std::size_t i = 0; i < skewed.size(); ++i)
    if (i % 10 != 0) skewed[i] %= 100000;
  expect_sorted_like_std(pool(), skewed);
}

TEST_P(sort_on_pool, descending_integers_take_the_merge_path) {
  for (std::size_t n : sizes)
    expect_sorted_like_std(pool(), random_integers<std::uint64_t>(n, 17), std::greater<>());
  expect_sorted_like_std(pool(), random_integers<std::int32_t>(300007, 18), std::greater<>());
  // A lambda: count its calls to see that comparisons happen.
  std::atomic<std::size_t> calls{0};
  auto v = random_integers<std::int32_t>(100003, 19);
  auto expected = v;
  std::sort(expected.begin(), expected.end(), std::greater<>());
  brigade::parallel_sort(v.begin(), v.end(),
                         [&](std::int32_t a, std::int32_t b) {
                           calls.fetch_add(1, std::memory_order_relaxed);
                           return a > b;
                         },
                         {.pool = &pool()});
  EXPECT_TRUE(v == expected);
  EXPECT_GT(calls.load(), v.size());
}

TEST_P(sort_on_pool, doubles_with_a_comparator) {
  std::mt19937_64 gen(20);
  std::normal_distribution<double> dist(0.0, 1e6);
  for (std::size_t n : sizes) {
    std::vector<double> v(n);
    for (auto& x : v) x = dist(gen);
    expect_sorted_like_std(pool(), v, [](double a, double b) { return a < b; });
  }
}

TEST_P(sort_on_pool, strings) {
  for (std::size_t n : sizes)
    if (n <= moderate) expect_sorted_like_std(pool(), random_strings(n, 21, 26));
  // Few letters: many equal strings.
  expect_sorted_like_std(pool(), random_strings(moderate, 22, 2), std::greater<>());
}

TEST_P(sort_on_pool, move_only_values) {
  auto by_value = [](const std::unique_ptr<int>& a, const std::unique_ptr<int>& b) {
    return *a < *b;
  };
  for (std::size_t n : sizes) {
    const auto keys = random_integers<int>(n, 23, -5000, 5000);
    std::vector<std::unique_ptr<int>> v;
    for (int k : keys) v.push_back(std::make_unique<int>(k));
    brigade::parallel_sort(v.begin(), v.end(), by_value, {.pool = &pool()});
    auto expected = keys;
    std::sort(expected.begin(), expected.end());
    std::vector<int> got;
    for (const auto& p : v) got.push_back(*p);
    EXPECT_TRUE(got == expected) << "n = " << n;
  }
}

// Not default-constructible: the scratch buffer must be built by moving. Types that are
// trivially copyable (raw scratch; merged without branches or not) and one that is not
// (constructed scratch).
struct plain_key {
  explicit plain_key(std::int64_t k) : key(k) {}
  std::int64_t key;
  std::int32_t tag = 0;
  bool operator==(const plain_key&) const = default;
};

struct wide_key {  // trivially copyable, but too wide to merge without branches
  explicit wide_key(std::int64_t k) : key(k), more{k, -k} {}
  std::int64_t key;
  std::int64_t more[2];
  bool operator==(const wide_key&) const = default;
};

struct named_key {
  explicit named_key(std::int64_t k) : key(k), name(std::to_string(k) + " is the key here") {}
  std::int64_t key;
  std::string name;
  bool operator==(const named_key&) const = default;
};

static_assert(brigade::detail::merge_branch_free<plain_key>);
static_assert(brigade::detail::merge_raw_scratch<wide_key> &&
              !brigade::detail::merge_branch_free<wide_key>);
static_assert(!brigade::detail::merge_raw_scratch<named_key>);

TEST_P(sort_on_pool, values_without_default_constructor) {
  auto by_key = [](const auto& a, const auto& b) { return a.key < b.key; };
  for (std::size_t n : sizes) {
    if (n > moderate) continue;
    const auto keys = random_integers<std::int64_t>(n, 24, -100000, 100000);
    std::vector<plain_key> plain;
    std::vector<wide_key> wide;
    std::vector<named_key> named;
    for (auto k : keys) {
      plain.emplace_back(k);
      wide.emplace_back(k);
      named.emplace_back(k);
    }
    expect_sorted_like_std(pool(), plain, by_key);
    expect_sorted_like_std(pool(), wide, by_key);
    expect_sorted_like_std(pool(), named, by_key);
  }
}

TEST_P(sort_on_pool, special_inputs) {
  for (std::size_t n : {std::size_t{16385}, std::size_t{65537}}) {
    const std::vector<std::uint64_t> equal(n, 42);
    auto ascending = random_integers<std::uint64_t>(n, 25);
    std::sort(ascending.begin(), ascending.end());
    const std::vector<std::uint64_t> descending(ascending.rbegin(), ascending.rend());
    for (const auto& v : {equal, ascending, descending}) {
      expect_sorted_like_std(pool(), v);
      expect_sorted_like_std(pool(), v, std::greater<>());
      expect_sorted_like_std(pool(), v, [](std::uint64_t a, std::uint64_t b) { return a < b; });
    }
    expect_sorted_like_std(pool(), std::vector<std::string>(n, "same"));
    expect_sorted_like_std(pool(), std::vector<std::int8_t>(n, -7));
  }
}

TEST_P(sort_on_pool, other_iterators) {
  // A deque (random access, not contiguous) and raw pointers.
  const auto keys = random_integers<int>(100003, 26);
  std::deque<int> d(keys.begin(), keys.end());
  brigade::parallel_sort(d.begin(), d.end(), {.pool = &pool()});
  auto expected = keys;
  std::sort(expected.begin(), expected.end());
  EXPECT_TRUE(std::equal(d.begin(), d.end(), expected.begin(), expected.end()));
  auto v = keys;
  brigade::parallel_sort(v.data(), v.data() + v.size(), {.pool = &pool()});
  EXPECT_TRUE(v == expected);
}

TEST_P(sort_on_pool, large_inputs_run_on_the_pool) {
  std::atomic<std::size_t> elsewhere{0};
  auto v = random_integers<std::uint32_t>(100003, 27);
  brigade::parallel_sort(v.begin(), v.end(),
                         [&](std::uint32_t a, std::uint32_t b) {
                           if (!pool().owns_current_thread())
                             elsewhere.fetch_add(1, std::memory_order_relaxed);
                           return a < b;
                         },
                         {.pool = &pool()});
  EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
  EXPECT_EQ(elsewhere.load(), 0u);
}

TEST_P(sort_on_pool, sorts_inside_a_parallel_loop) {
  std::vector<std::vector<std::int64_t>> vs;
  for (unsigned k = 0; k < 6; ++k) vs.push_back(random_integers<std::int64_t>(40000, 28 + k));
  auto expected = vs;
  for (auto& v : expected) std::sort(v.begin(), v.end(), std::greater<>());
  brigade::parallel_for(0, vs.size(),
                        [&](std::size_t k) {
                          if (k % 2 == 0)
                            brigade::parallel_sort(vs[k].begin(),
                                                   vs[k].end());  // the caller's pool
                          else
                            brigade::parallel_sort(vs[k].begin(), vs[k].end(), std::greater<>());
                        },
                        {.pool = &pool()});
  for (std::size_t k = 0; k < vs.size(); ++k) {
    if (k % 2 == 0) std::reverse(vs[k].begin(), vs[k].end());
    EXPECT_TRUE(vs[k] == expected[k]) << k;
  }
}

TEST_P(sort_on_pool, exception_from_the_comparator_reaches_the_caller) {
  // Thrown early (in the leaves) to late (in the last merges); n log2 n is about 1.7e6.
  for (std::size_t throw_at : {1, 1000, 300000, 1500000}) {
    std::atomic<std::size_t> calls{0};
    auto v = random_integers<std::int64_t>(100003, 36);
    auto less_until = [&](std::int64_t a, std::int64_t b) {
      if (calls.fetch_add(1, std::memory_order_relaxed) + 1 == throw_at)
        throw std::runtime_error("comparator");
      return a < b;
    };
    EXPECT_THROW(brigade::parallel_sort(v.begin(), v.end(), less_until, {.pool = &pool()}),
                 std::runtime_error)
        << throw_at;
  }
}

TEST_P(sort_on_pool, exception_with_owning_values_leaks_nothing) {
  // Under AddressSanitizer a lost or doubly freed element fails the test.
  for (std::size_t throw_at : {1, 20000, 1000000}) {
    std::atomic<std::size_t> calls{0};
    std::vector<named_key> v;
    for (auto k : random_integers<std::int64_t>(100003, 37)) v.emplace_back(k);
    auto less_until = [&](const named_key& a, const named_key& b) {
      if (calls.fetch_add(1, std::memory_order_relaxed) + 1 == throw_at)
        throw std::runtime_error("comparator");
      return a.key < b.key;
    };
    EXPECT_THROW(brigade::parallel_sort(v.begin(), v.end(), less_until, {.pool = &pool()}),
                 std::runtime_error)
        << throw_at;
  }
}

// Its moves throw once a shared countdown runs out.
std::atomic<long> moves_left{-1};

struct fragile {
  explicit fragile(int k) : key(k), payload(40, 'p') {}
  fragile(fragile&& o) : key(o.key), payload(std::move(o.payload)) { count_down(); }
  fragile& operator=(fragile&& o) {
    count_down();
    key = o.key;
    payload = std::move(o.payload);
    return *this;
  }
  static void count_down() {
    if (moves_left.fetch_sub(1, std::memory_order_relaxed) == 0) throw std::length_error("move");
  }
  int key;
  std::string payload;
};

TEST_P(sort_on_pool, exception_from_a_move_reaches_the_caller) {
  for (long throw_after : {0L, 5000L, 150000L, 1200000L}) {
    std::vector<fragile> v;
    for (int k : random_integers<int>(100003, 38)) v.emplace_back(k);
    moves_left.store(throw_after);
    EXPECT_THROW(
        brigade::parallel_sort(v.begin(), v.end(),
                               [](const fragile& a, const fragile& b) { return a.key < b.key; },
                               {.pool = &pool()}),
        std::length_error)
        << throw_after;
    moves_left.store(-1);  // never again: the vector's destructor may run
  }
}

TEST_P(sort_on_pool, range_forms_sort_like_std) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1000}, std::size_t{100003}}) {
    auto v = random_integers<std::int64_t>(n, 43);
    auto ascending = v, descending = v;
    std::sort(ascending.begin(), ascending.end());
    std::sort(descending.begin(), descending.end(), std::greater<>());
    auto w = v;
    pool().run([&] { brigade::parallel_sort(w); });  // radix path
    EXPECT_TRUE(w == ascending) << n;
    w = v;
    brigade::parallel_sort(w, {.pool = &pool()});
    EXPECT_TRUE(w == ascending) << n;
    w = v;
    pool().run([&] { brigade::parallel_sort(w, std::greater<>()); });  // merge path
    EXPECT_TRUE(w == descending) << n;
    w = v;
    brigade::parallel_sort(w, std::greater<>(), {.pool = &pool()});
    EXPECT_TRUE(w == descending) << n;
  }
  auto strings = random_strings(30011, 44, 26);
  auto expected = strings;
  std::sort(expected.begin(), expected.end());
  std::deque<std::string> d(strings.begin(), strings.end());
  brigade::parallel_sort(d, {.pool = &pool()});
  EXPECT_TRUE(std::equal(d.begin(), d.end(), expected.begin(), expected.end()));
  auto keys = random_integers<int>(50000, 45);
  std::atomic<std::size_t> elsewhere{0};
  brigade::parallel_sort(std::span(keys).subspan(100, 40000),
                         [&](int a, int b) {
                           if (!pool().owns_current_thread())
                             elsewhere.fetch_add(1, std::memory_order_relaxed);
                           return a > b;
                         },
                         {.pool = &pool()});
  EXPECT_TRUE(std::is_sorted(keys.begin() + 100, keys.begin() + 40100, std::greater<>()));
  EXPECT_EQ(elsewhere.load(), 0u);
}

TEST_P(sort_on_pool, options_pool_runs_every_comparison_there) {
  // Called from the test's thread. (Below serial_sort_cutoff, std::sort runs on the calling
  // thread instead, as documented: too small to wake a pool.)
  std::atomic<std::size_t> elsewhere{0}, calls{0};
  auto less = [&](std::uint32_t a, std::uint32_t b) {
    calls.fetch_add(1, std::memory_order_relaxed);
    if (!pool().owns_current_thread()) elsewhere.fetch_add(1, std::memory_order_relaxed);
    return a < b;
  };
  auto v = random_integers<std::uint32_t>(100003, 46);
  brigade::parallel_sort(v.begin(), v.end(), less, {.pool = &pool()});
  EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
  EXPECT_GT(calls.load(), v.size());
  EXPECT_EQ(elsewhere.load(), 0u);
}

BRIGADE_INSTANTIATE_ON_POOLS(sort_on_pool);

TEST(parallel_sort, reversed_range_is_an_error) {
  std::vector<int> v(10);
  EXPECT_THROW(brigade::parallel_sort(v.end(), v.begin()), std::invalid_argument);
  EXPECT_THROW(brigade::parallel_sort(v.end(), v.begin(), std::greater<>()), std::invalid_argument);
}

TEST(parallel_sort, from_a_plain_thread_uses_the_global_pool) {
  auto ints = random_integers<std::uint64_t>(100003, 39);
  auto strings = random_strings(50000, 40, 26);
  std::atomic<std::size_t> elsewhere{0};
  std::thread t([&] {
    brigade::parallel_sort(ints.begin(), ints.end());
    brigade::parallel_sort(strings.begin(), strings.end(),
                           [&](const std::string& a, const std::string& b) {
                             if (!brigade::pool::global().owns_current_thread())
                               elsewhere.fetch_add(1, std::memory_order_relaxed);
                             return a < b;
                           });
  });
  t.join();
  EXPECT_TRUE(std::is_sorted(ints.begin(), ints.end()));
  EXPECT_TRUE(std::is_sorted(strings.begin(), strings.end()));
  EXPECT_EQ(elsewhere.load(), 0u);
}

}  // namespace
