// The event-loop backends every I/O behaviour is tested on, from one list.
#pragma once

#include <brigade/io/event_loop.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace brigade::testing {

inline std::vector<io_backend> loop_backends() {
  return {io_backend::epoll, io_backend::uring};
}

inline std::string backend_name(const ::testing::TestParamInfo<io_backend>& info) {
  return info.param == io_backend::epoll ? "epoll" : "uring";
}

/// A fixture owning a loop on the parameter's backend. Where the kernel refuses io_uring the
/// uring cases report a skip that names the reason (CI's machines have it).
class on_loop : public ::testing::TestWithParam<io_backend> {
 protected:
  void SetUp() override {
    try {
      loop_ = std::make_unique<brigade::event_loop>(brigade::event_loop::options{GetParam()});
    } catch (const std::system_error& e) {
      GTEST_SKIP() << "backend unavailable here: " << e.what();
    }
  }
  brigade::event_loop& loop() { return *loop_; }

 private:
  std::unique_ptr<brigade::event_loop> loop_;
};

}  // namespace brigade::testing

#define BRIGADE_INSTANTIATE_ON_BACKENDS(suite)                                     \
  INSTANTIATE_TEST_SUITE_P(backends, suite,                                        \
                           ::testing::ValuesIn(brigade::testing::loop_backends()), \
                           brigade::testing::backend_name)
