// brigade::parallel_sort — PLACEHOLDER: the real tests are being written.
#include <brigade/par/parallel_sort.hpp>

#include <gtest/gtest.h>

#include <vector>

TEST(parallel_sort, placeholder_sorts_three) {
  std::vector<int> v{3, 1, 2};
  brigade::parallel_sort(v.begin(), v.end());
  EXPECT_EQ(v, (std::vector<int>{1, 2, 3}));
}
