// The executor flavours every behaviour is tested on, from one list: write a test once as a
// TEST_P over `flavour`, and it runs on each.
#pragma once

#include <brigade/pool/pool.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace brigade::testing {

/// A pool size to run a behaviour on. More threads than cores on purpose (7): preemption in
/// the middle of a protocol is where races hide.
struct flavour {
  std::size_t threads;
};

inline std::vector<flavour> pool_flavours() {
  return {{1}, {2}, {4}, {7}};
}

inline std::string flavour_name(const ::testing::TestParamInfo<flavour>& info) {
  return "pool" + std::to_string(info.param.threads);
}

/// A fixture that owns a pool of the flavour's size.
class on_pool : public ::testing::TestWithParam<flavour> {
 protected:
  brigade::pool& pool() { return *pool_; }

 private:
  std::unique_ptr<brigade::pool> pool_ = std::make_unique<brigade::pool>(GetParam().threads);
};

/// Stress sizes scale with BRIGADE_STRESS_SCALE (the sanitizer presets lower it).
inline double stress_scale() {
  const char* s = std::getenv("BRIGADE_STRESS_SCALE");
  if (s == nullptr) return 1.0;
  const double v = std::atof(s);
  return v > 0 ? v : 1.0;
}

inline std::size_t scaled(std::size_t n) {
  const auto v = static_cast<std::size_t>(static_cast<double>(n) * stress_scale());
  return v == 0 ? 1 : v;
}

/// The seed for a randomized test: BRIGADE_SEED if set, else `fallback`. Printed so that a
/// failure can be replayed.
inline unsigned test_seed(unsigned fallback) {
  const char* s = std::getenv("BRIGADE_SEED");
  const unsigned seed =
      s != nullptr ? static_cast<unsigned>(std::strtoul(s, nullptr, 10)) : fallback;
  std::printf("seed %u (replay with BRIGADE_SEED=%u)\n", seed, seed);
  return seed;
}

}  // namespace brigade::testing

#define BRIGADE_INSTANTIATE_ON_POOLS(suite)                                                      \
  INSTANTIATE_TEST_SUITE_P(pools, suite, ::testing::ValuesIn(brigade::testing::pool_flavours()), \
                           brigade::testing::flavour_name)
