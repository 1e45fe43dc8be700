// brigade::task, sync_wait, when_all, when_any and scope: results, errors, ownership,
// structured completion, stop-token inheritance.
#include <brigade/core/scope.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/core/task.hpp>
#include <brigade/core/when_all.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

brigade::task<int> twice(int x) {
  co_return 2 * x;
}
brigade::task<void> nothing() {
  co_return;
}
brigade::task<int> fails(std::string what) {
  throw std::runtime_error(what);
  co_return 0;
}
brigade::task<int> chain(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await chain(depth - 1);
}

TEST(task, returns_a_value) {
  EXPECT_EQ(brigade::sync_wait(twice(21)), 42);
}

TEST(task, void_tasks) {
  brigade::sync_wait(nothing());
}

TEST(task, exception_reaches_the_awaiter) {
  auto outer = []() -> brigade::task<std::string> {
    try {
      co_await fails("inner");
    } catch (const std::runtime_error& e) {
      co_return std::string("caught ") + e.what();
    }
    co_return "nothing";
  };
  EXPECT_EQ(brigade::sync_wait(outer()), "caught inner");
  EXPECT_THROW(brigade::sync_wait(fails("x")), std::runtime_error);
}

TEST(task, is_lazy_and_destroying_an_unstarted_task_frees_everything) {
  bool ran = false;
  auto held = std::make_shared<int>(7);
  {
    auto t = [](bool& r, std::shared_ptr<int> keep) -> brigade::task<int> {
      r = true;
      co_return *keep;
    }(ran, held);
    EXPECT_EQ(held.use_count(), 2);  // the frame holds a copy
  }
  EXPECT_FALSE(ran);
  EXPECT_EQ(held.use_count(), 1);  // the frame, and its copy, are gone (ASan checks the rest)
}

TEST(task, move_only_results_and_moves) {
  auto make = []() -> brigade::task<std::unique_ptr<int>> { co_return std::make_unique<int>(5); };
  brigade::task<std::unique_ptr<int>> t = make();
  brigade::task<std::unique_ptr<int>> u = std::move(t);
  EXPECT_FALSE(static_cast<bool>(t));
  EXPECT_EQ(*brigade::sync_wait(std::move(u)), 5);
}

TEST(task, deep_chains_do_not_grow_the_stack) {
#if defined(__GNUC__) && !defined(__clang__) && \
    (defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__))
  GTEST_SKIP() << "GCC's sanitizers disable the tail calls symmetric transfer relies on "
                  "(docs/pitfalls.md); CI runs this under clang's";
#endif
  // A million nested co_awaits: with a stack frame per level this would need far more than
  // the default 8 MiB stack.
  EXPECT_EQ(brigade::sync_wait(chain(1'000'000)), 1'000'000);
}

TEST(task, inherits_the_awaiters_stop_token) {
  std::stop_source src;
  auto child = []() -> brigade::task<bool> {
    co_return (co_await brigade::this_task::stop_token).stop_requested();
  };
  auto parent = [&]() -> brigade::task<bool> {
    src.request_stop();
    co_return co_await child();
  };
  EXPECT_TRUE(brigade::sync_wait(parent(), src.get_token()));
}

TEST(task, with_stop_token_replaces_the_inherited_one) {
  std::stop_source parent_src, own_src;
  auto child = []() -> brigade::task<bool> {
    co_return (co_await brigade::this_task::stop_token).stop_requested();
  };
  auto parent = [&]() -> brigade::task<std::pair<bool, bool>> {
    parent_src.request_stop();  // the parent's token is stopped, the child's own is not
    const bool own = co_await brigade::with_stop_token(child(), own_src.get_token());
    own_src.request_stop();
    const bool own_after = co_await brigade::with_stop_token(child(), own_src.get_token());
    co_return std::pair{own, own_after};
  };
  const auto [own, own_after] = brigade::sync_wait(parent(), parent_src.get_token());
  EXPECT_FALSE(own);
  EXPECT_TRUE(own_after);
  EXPECT_THROW((void)brigade::with_stop_token(brigade::task<int>{}, own_src.get_token()),
               std::invalid_argument);
}

TEST(task, awaiting_an_empty_task_is_a_logic_error) {
  auto one = []() -> brigade::task<int> { co_return 1; };
  auto twice = [&]() -> brigade::task<int> {
    brigade::task<int> t = one();
    int first = co_await std::move(t);
    try {
      (void)co_await std::move(t);  // awaited already: the result is gone
    } catch (const std::logic_error& e) {
      if (std::string(e.what()).find("empty task") != std::string::npos) first += 10;
    }
    co_return first;
  };
  EXPECT_EQ(brigade::sync_wait(twice()), 11);
  brigade::task<int> moved = one();
  brigade::task<int> into = std::move(moved);
  EXPECT_THROW(brigade::sync_wait(std::move(moved)), std::logic_error);       // moved from
  EXPECT_THROW(brigade::sync_wait(brigade::task<void>{}), std::logic_error);  // never had one
  EXPECT_EQ(brigade::sync_wait(std::move(into)), 1);
}

TEST(when_all, returns_every_result_in_order) {
  auto [a, b, c] = brigade::sync_wait(brigade::when_all(twice(1), nothing(), twice(3)));
  EXPECT_EQ(a, 2);
  EXPECT_EQ(c, 6);
  (void)b;
}

TEST(when_all, over_a_vector) {
  std::vector<brigade::task<int>> ts;
  for (int i = 0; i < 100; ++i) ts.push_back(twice(i));
  const auto r = brigade::sync_wait(brigade::when_all(std::move(ts)));
  ASSERT_EQ(r.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(r[static_cast<std::size_t>(i)], 2 * i);
}

TEST(when_all, empty_vector) {
  EXPECT_TRUE(brigade::sync_wait(brigade::when_all(std::vector<brigade::task<int>>{})).empty());
}

TEST(when_all, first_failure_is_rethrown_after_all_finish) {
  bool other_finished = false;
  auto other = [&]() -> brigade::task<int> {
    other_finished = true;
    co_return 1;
  };
  EXPECT_THROW(brigade::sync_wait(brigade::when_all(fails("a"), other())), std::runtime_error);
  EXPECT_TRUE(other_finished);
}

TEST(when_any, first_finished_wins) {
  auto r = brigade::sync_wait(brigade::when_any(twice(4), nothing()));
  ASSERT_EQ(r.index(), 0u);
  EXPECT_EQ(std::get<0>(r), 8);
}

TEST(when_any, over_a_vector_and_empty_is_an_error) {
  std::vector<brigade::task<int>> ts;
  ts.push_back(twice(5));
  ts.push_back(twice(6));
  auto [index, value] = brigade::sync_wait(brigade::when_any(std::move(ts)));
  EXPECT_EQ(index, 0u);
  EXPECT_EQ(value, 10);
  EXPECT_THROW(brigade::sync_wait(brigade::when_any(std::vector<brigade::task<int>>{})),
               std::invalid_argument);
}

TEST(when_any, winner_exception_is_rethrown) {
  EXPECT_THROW(brigade::sync_wait(brigade::when_any(fails("first"), twice(1))), std::runtime_error);
}

TEST(when_any, stops_the_losers) {
  bool loser_saw_stop = false;
  auto loser = [&]() -> brigade::task<int> {
    loser_saw_stop = (co_await brigade::this_task::stop_token).stop_requested();
    co_return 0;
  };
  brigade::sync_wait(brigade::when_any(twice(1), loser()));
  EXPECT_TRUE(loser_saw_stop);
}

TEST(scope, join_waits_for_children) {
  int done = 0;
  auto child = [&]() -> brigade::task<void> {
    ++done;
    co_return;
  };
  auto body = [&]() -> brigade::task<void> {
    brigade::scope s;
    for (int i = 0; i < 10; ++i) s.spawn(child());
    co_await s.join();
  };
  brigade::sync_wait(body());
  EXPECT_EQ(done, 10);
}

TEST(scope, first_failure_stops_siblings_and_is_rethrown) {
  bool later_saw_stop = false;
  auto later = [&]() -> brigade::task<void> {
    later_saw_stop = (co_await brigade::this_task::stop_token).stop_requested();
  };
  auto body = [&]() -> brigade::task<void> {
    brigade::scope s;
    s.spawn(fails("child"));
    s.spawn(later());
    co_await s.join();
  };
  try {
    brigade::sync_wait(body());
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "child");
  }
  EXPECT_TRUE(later_saw_stop);
}

TEST(scope, cancelled_children_after_request_stop_are_not_errors) {
  auto cancelled = []() -> brigade::task<void> {
    if ((co_await brigade::this_task::stop_token).stop_requested())
      throw brigade::operation_cancelled();
  };
  auto body = [&]() -> brigade::task<int> {
    brigade::scope s;
    s.request_stop();
    s.spawn(cancelled());
    s.spawn(cancelled());
    co_await s.join();
    co_return 1;
  };
  EXPECT_EQ(brigade::sync_wait(body()), 1);
}

TEST(scope, spawning_an_empty_task_is_an_error_and_changes_nothing) {
  auto body = []() -> brigade::task<int> {
    brigade::scope s;
    brigade::task<void> empty;
    int errors = 0;
    try {
      s.spawn(std::move(empty));
    } catch (const std::invalid_argument&) {
      ++errors;
    }
    EXPECT_EQ(s.active(), 0U);
    co_await s.join();
    co_return errors;
  };
  EXPECT_EQ(brigade::sync_wait(body()), 1);
}

TEST(scope, is_reusable_after_join) {
  auto body = [&]() -> brigade::task<int> {
    brigade::scope s;
    s.spawn(fails("once"));
    try {
      co_await s.join();
    } catch (const std::runtime_error&) {
    }
    s.spawn(nothing());
    co_await s.join();
    co_return static_cast<int>(s.active());
  };
  EXPECT_EQ(brigade::sync_wait(body()), 0);
}

}  // namespace
