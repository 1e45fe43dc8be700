// The Chase–Lev deque, single-threaded: LIFO for the owner, FIFO for thieves, growth.
#include <brigade/pool/detail/chase_lev_deque.hpp>

#include <gtest/gtest.h>

#include <deque>
#include <vector>

namespace {

struct marker final : brigade::detail::job {
  explicit marker(int v) : job([](job&) noexcept {}), value(v) {}
  int value;
};

int value_of(brigade::detail::job* j) {
  return static_cast<marker*>(j)->value;
}

TEST(deque, owner_pops_in_lifo_order) {
  brigade::detail::chase_lev_deque d(4);
  std::deque<marker> items;
  for (int i = 0; i < 3; ++i) items.emplace_back(i);
  for (auto& m : items) d.push(&m);
  EXPECT_EQ(value_of(d.pop()), 2);
  EXPECT_EQ(value_of(d.pop()), 1);
  EXPECT_EQ(value_of(d.pop()), 0);
  EXPECT_EQ(d.pop(), nullptr);
  EXPECT_TRUE(d.empty());
}

TEST(deque, thieves_take_in_fifo_order) {
  brigade::detail::chase_lev_deque d(4);
  std::deque<marker> items;
  for (int i = 0; i < 3; ++i) items.emplace_back(i);
  for (auto& m : items) d.push(&m);
  EXPECT_EQ(value_of(d.steal().taken), 0);
  EXPECT_EQ(value_of(d.steal().taken), 1);
  EXPECT_EQ(value_of(d.pop()), 2);
  EXPECT_EQ(d.steal().taken, nullptr);
  EXPECT_FALSE(d.steal().contended);
}

TEST(deque, grows_past_its_initial_capacity_keeping_every_job) {
  brigade::detail::chase_lev_deque d(2);
  std::deque<marker> items;
  for (int i = 0; i < 1000; ++i) items.emplace_back(i);
  for (int i = 0; i < 1000; ++i) {
    d.push(&items[static_cast<std::size_t>(i)]);
    if (i % 3 == 0) {
      EXPECT_EQ(value_of(d.steal().taken), i / 3);  // interleave steals
    }
  }
  std::vector<int> rest;
  while (auto* j = d.pop()) rest.push_back(value_of(j));
  EXPECT_EQ(rest.size(), 1000u - 334u);
  EXPECT_EQ(rest.front(), 999);
  EXPECT_EQ(rest.back(), 334);
}

}  // namespace
