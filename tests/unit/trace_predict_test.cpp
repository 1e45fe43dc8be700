// brigade::trace::predict: exact replays of hand-built DAGs (greedy, burdened, divisible
// pieces, what-ifs, errors), and a prediction from a 1-thread recording checked against a
// measured 2-thread run of the same program (sleeps, so a busy machine stretches neither).
#include <brigade/par/parallel_for.hpp>
#include <brigade/pool/join.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/trace/trace.hpp>
#include <brigade/trace_tools/predict.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

namespace tr = brigade::trace;
using namespace std::chrono_literals;

struct builder {
  tr::trace_file t;
  builder() {
    t.lanes = {{0, 1, 0, "main"}, {0, 1, 1, "worker 0"}};
    t.processes = 1;
    t.labels = {"a", "b"};
  }
  builder& seg(std::uint64_t id, std::uint32_t label, std::int64_t begin, std::int64_t end,
               std::uint64_t units = 1, std::uint32_t lane = 0) {
    t.segments.push_back({id, lane, label, begin, end, units});
    return *this;
  }
  builder& edge(std::uint64_t from, std::uint64_t to) {
    t.edges.push_back({0, from, to});
    return *this;
  }
  builder& wait(tr::trace_slice::kind what, std::uint32_t lane, std::int64_t begin,
                std::int64_t end) {
    t.slices.push_back({what, lane, 0, begin, end});
    return *this;
  }
};

// a (10) -> {b1 (30), b2 (50)} -> c (20): work 110, span 80.
tr::trace_file diamond() {
  builder b;
  b.seg(1, 0, 0, 10).seg(2, 1, 10, 40).seg(3, 1, 40, 90).seg(4, 0, 90, 110);
  b.edge(1, 2).edge(1, 3).edge(2, 4).edge(3, 4);
  return b.t;
}

TEST(trace_predict, a_diamond_replays_exactly) {
  const auto p = tr::predict(diamond(), {1, 2, 3}, {.burden_ns = 0});
  ASSERT_EQ(p.at.size(), 3u);
  EXPECT_EQ(p.at[0].predicted_ns, 110);  // all of it on one worker
  EXPECT_EQ(p.at[1].predicted_ns, 80);   // the span: b1 and b2 side by side
  EXPECT_EQ(p.at[2].predicted_ns, 80);
}

TEST(trace_predict, moving_work_to_another_worker_costs_the_burden) {
  const auto p = tr::predict(diamond(), {2}, {.burden_ns = 5});
  EXPECT_EQ(p.burden_ns, 5);
  // One of b1, b2 moves (+5); the join waits for it: 10 + 5 + 50 + 20 when b2 moves.
  EXPECT_EQ(p.at[0].predicted_ns, 85);
}

// a (main) forks b1 onto worker 0 (1 ns later) and runs b2 itself; c joins them on main. The
// edge b1 -> c crosses threads with a gap of 90, but that is c waiting for b2, not a move.
TEST(trace_predict, the_measured_burden_counts_only_the_edge_that_made_a_segment_ready) {
  builder b;
  b.seg(1, 0, 0, 10).seg(2, 1, 11, 20, 1, 1).seg(3, 1, 10, 110).seg(4, 0, 110, 120);
  b.edge(1, 2).edge(1, 3).edge(2, 4).edge(3, 4);
  EXPECT_EQ(tr::predict(b.t, {2}).burden_ns, 1);
}

// Two dishes: each is prepared (10), waits 100 for the oven with its loop blocked, and is
// served (10). A wait is latency: more workers do not shorten it, and it holds no worker.
TEST(trace_predict, a_wait_for_io_stays_in_the_replay_as_latency) {
  using kind = tr::trace_slice::kind;
  builder b;
  b.seg(1, 0, 0, 10).seg(2, 1, 110, 120).seg(3, 0, 0, 10, 1, 1).seg(4, 1, 110, 120, 1, 1);
  b.edge(1, 2).edge(3, 4);
  b.wait(kind::io_wait, 0, 10, 110).wait(kind::io_wait, 1, 10, 110);
  const auto p = tr::predict(b.t, {1, 2});
  EXPECT_EQ(p.at[0].predicted_ns, 130);  // 0-10, 10-20; served at 110-120 and 120-130
  EXPECT_EQ(p.at[1].predicted_ns, 120);
  EXPECT_EQ(p.waits_ns, 200);
}

// One loop: a1 and a2 each sleep 100; the loop blocks until a1's timer (110), then b1 keeps it
// busy past a2's deadline (120), so a2's timer fires 5 late and the loop never blocked for it.
// The timer names the segment its waiter slept after: b2's latency is the whole 100, not the
// 90 that the last blocked stretch (ending at 110) would give.
TEST(trace_predict, a_timer_gives_its_sleepers_latency_even_when_its_loop_was_busy) {
  using kind = tr::trace_slice::kind;
  builder b;
  b.seg(1, 0, 0, 10).seg(2, 0, 10, 20).seg(3, 1, 110, 125).seg(4, 1, 125, 145);
  b.edge(1, 2).edge(1, 3).edge(2, 4).wait(kind::io_wait, 0, 20, 110);
  b.t.marks.push_back({tr::trace_mark::kind::timer, 0, 110, 0, 1});
  b.t.marks.push_back({tr::trace_mark::kind::timer, 0, 125, 5, 2});
  const auto p = tr::predict(b.t, {2});
  EXPECT_EQ(p.burden_ns, 0);
  EXPECT_EQ(p.at[0].predicted_ns, 140);  // b2 from 120 (not 110) on the free worker
}

// c joins a, which then slept 100 (a timer), and x, which ended later in the recording. With x
// twice as fast, c still waits for a's timer: the latency is on a's edge, not on x's.
TEST(trace_predict, a_timer_keeps_its_latency_on_the_edge_of_the_sleeper) {
  using kind = tr::trace_slice::kind;
  builder b;
  b.seg(1, 0, 0, 10).seg(2, 1, 10, 50).seg(3, 0, 110, 120);
  b.edge(1, 2).edge(1, 3).edge(2, 3).wait(kind::io_wait, 0, 50, 110);
  b.t.marks.push_back({tr::trace_mark::kind::timer, 0, 110, 0, 1});
  EXPECT_EQ(tr::predict(b.t, {1}).at[0].predicted_ns, 120);
  EXPECT_EQ(tr::predict(b.t, {1}, {.what_ifs = {{"b", 0.5}}}).at[0].predicted_ns, 120);
}

// a wakes b on another thread, then its own loop blocks (idle, not waiting for b's sake).
TEST(trace_predict, a_loop_idle_after_handing_work_on_adds_no_latency) {
  using kind = tr::trace_slice::kind;
  builder b;
  b.seg(1, 0, 0, 10).seg(2, 1, 20, 120, 1, 1).wait(kind::io_wait, 0, 10, 500).edge(1, 2);
  EXPECT_EQ(tr::predict(b.t, {1}).at[0].predicted_ns, 110);
}

// A receive that began where a ran ends on another thread, where b resumes: the 50 stays.
TEST(trace_predict, a_wait_for_communication_on_the_predecessors_thread_stays) {
  using kind = tr::trace_slice::kind;
  builder b;
  b.seg(1, 0, 0, 10).seg(2, 1, 60, 70, 1, 1).wait(kind::comm_wait, 0, 10, 60).edge(1, 2);
  EXPECT_EQ(tr::predict(b.t, {1}).at[0].predicted_ns, 70);
}

// A coroutine that waited on a channel (a sync wait where it suspended) resumed elsewhere: the
// wait for the value stays, as a wait for a message does.
TEST(trace_predict, a_wait_for_a_signal_stays) {
  using kind = tr::trace_slice::kind;
  builder b;
  b.seg(1, 0, 0, 10).seg(2, 1, 60, 70, 1, 1).wait(kind::sync_wait, 0, 10, 60).edge(1, 2);
  EXPECT_EQ(tr::predict(b.t, {1}).at[0].predicted_ns, 70);
}

TEST(trace_predict, a_divisible_piece_splits_over_the_workers) {
  builder b;
  b.seg(1, 0, 0, 10).seg(2, 1, 10, 90, 8).seg(3, 0, 90, 100);  // 8 iterations of 10
  b.edge(1, 2).edge(2, 3);
  const auto p = tr::predict(b.t, {1, 2, 4, 16}, {.burden_ns = 0});
  EXPECT_EQ(p.at[0].predicted_ns, 100);
  EXPECT_EQ(p.at[1].predicted_ns, 60);  // 10 + 80 / 2 + 10
  EXPECT_EQ(p.at[2].predicted_ns, 40);  // 10 + 80 / 4 + 10
  EXPECT_EQ(p.at[3].predicted_ns, 30);  // at most 8 parts: 10 + 10 + 10
}

TEST(trace_predict, what_if_scales_one_label) {
  const auto p = tr::predict(diamond(), {1, 2}, {.what_ifs = {{"b", 0.5}}, .burden_ns = 0});
  EXPECT_EQ(p.at[0].predicted_ns, 70);  // 10 + 15 + 25 + 20
  EXPECT_EQ(p.at[1].predicted_ns, 55);  // 10 + 25 + 20
}

TEST(trace_predict, bad_requests_name_the_value) {
  auto error = [](auto f) -> std::string {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(error([] { tr::predict(diamond(), {0}); }).find("0 workers"), std::string::npos);
  EXPECT_NE(error([] {
              tr::predict(diamond(), {1}, {.what_ifs = {{"nope", 0.5}}});
            }).find("no segment is labelled \"nope\""),
            std::string::npos);
  EXPECT_NE(error([] {
              tr::predict(diamond(), {1}, {.what_ifs = {{"a", -1}}});
            }).find("factor -1"),
            std::string::npos);
}

// The program, scaled: 20 ms serial, 16 iterations of 4 ms (grain 1), a join of two
// 10 ms branches. Recorded at 1 thread, the 2-thread prediction is checked against a measured
// 2-thread run.
void program(brigade::pool& p) {
  std::this_thread::sleep_for(20ms);
  brigade::parallel_for(0, 16, [](int) { std::this_thread::sleep_for(4ms); },
                        {.grain = 1, .pool = &p});
  p.run([] {
    brigade::join([] { std::this_thread::sleep_for(10ms); },
                  [] { std::this_thread::sleep_for(10ms); });
  });
}

// A run on a loaded machine can be stretched by late wake-ups at one moment and not the next,
// so the pair (record at 1, measure at 2) is tried up to three times: a wrong predictor misses
// every time, a right one is within 20% on a calm attempt.
TEST(trace_predict, a_one_thread_recording_predicts_the_two_thread_run) {
  const std::string path = "/tmp/brigade_predict_" + std::to_string(::getpid()) + ".json";
  std::string attempts;
  for (int attempt = 0; attempt < 3; ++attempt) {
    {
      brigade::pool one(1);
      tr::start();
      program(one);
      tr::stop(path);
    }
    const double predicted = tr::predict(tr::read_trace_file(path), {2}).at[0].seconds();
    std::remove(path.c_str());
    brigade::pool two(2);
    const auto start = std::chrono::steady_clock::now();
    program(two);
    const double measured =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (predicted >= measured * 0.8 && predicted <= measured * 1.2) return;
    attempts += " predicted " + std::to_string(predicted) + " s, measured " +
                std::to_string(measured) + " s;";
  }
  ADD_FAILURE() << "the 2-thread prediction missed by more than 20% three times:" << attempts;
}

}  // namespace
