// brigade::parallel_sort — PLACEHOLDER being replaced by the real implementation (serial now).
#pragma once

#include <brigade/pool/pool.hpp>

#include <algorithm>
#include <functional>
#include <iterator>

namespace brigade {

template <std::random_access_iterator It, class Compare>
void parallel_sort(It first, It last, Compare comp) {
  std::sort(first, last, comp);
}

template <std::random_access_iterator It>
void parallel_sort(It first, It last) {
  parallel_sort(first, last, std::less<>());
}

}  // namespace brigade
