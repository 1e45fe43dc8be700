// Races a stop request against an I/O completion on the event loop, many times, on both
// backends (epoll, io_uring): a read of a socket that another thread writes one byte to, and a
// short timer. Each round the operation either completes or ends in operation_cancelled, never
// hangs; a read that got data returns it (a cancelled read leaves the byte for the next one), so
// the bytes read over all rounds are exactly the bytes written, in order.
// And more reads at once than io_uring's submission queue holds, some of them cancelled.
// BRIGADE_STRESS_SCALE multiplies the rounds; the seed is printed (BRIGADE_SEED replays it).
#include <brigade/core/detail/atomic.hpp>
#include <brigade/core/errors.hpp>
#include <brigade/core/scope.hpp>
#include <brigade/core/task.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/process.hpp>
#include <brigade/io/tcp.hpp>
#include <brigade/io/timer.hpp>

#include "support/backends.hpp"
#include "support/flavours.hpp"
#include "support/raw_client.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <latch>
#include <random>
#include <span>
#include <stop_token>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using brigade::testing::on_loop;

int rounds() {
  return static_cast<int>(brigade::testing::scaled(400));
}

void spin(unsigned n) {
  for (unsigned i = 0; i < n; ++i) brigade::detail::cpu_relax();
}

using brigade::testing::raw_client;

// One round: `op` runs on the loop (this thread) under a fresh stop source; once it is about to
// suspend, `complete` (on one thread) and request_stop (on another) race after random spins.
// Returns op's value, or -1 when it was cancelled.
template <class Op, class Complete>
long race(brigade::event_loop& loop, Op op, Complete complete, std::mt19937& rng) {
  std::stop_source src;
  std::latch go(3);  // all three running before the op starts: thread start-up does not pick
  std::atomic<bool> near{false};
  // The completer waits longer: a stop reaches the loop through its post queue and a wake-up,
  // and a byte that lands before the loop has run the cancellation is still returned (the claim
  // then lost to the data), so with equal spins nearly every read gets its byte.
  const unsigned d1 = rng() % 10000, d2 = rng() % 2000;
  std::thread completer([&] {
    go.arrive_and_wait();
    while (!near.load()) std::this_thread::yield();
    spin(d1);
    complete();
  });
  std::thread stopper([&] {
    go.arrive_and_wait();
    while (!near.load()) std::this_thread::yield();
    spin(d2);
    src.request_stop();
  });
  long result = -1;
  go.arrive_and_wait();
  try {
    result = loop.run_until(brigade::with_stop_token(op(near), src.get_token()));
  } catch (const brigade::operation_cancelled&) {
    result = -1;
  }
  completer.join();
  stopper.join();
  return result;
}

class io_cancel_stress : public on_loop {};

TEST_P(io_cancel_stress, read_completion_against_stop_loses_no_byte) {
  const unsigned seed = brigade::testing::test_seed(std::random_device{}());
  std::mt19937 rng(seed);
  brigade::tcp_listener listener(loop(), brigade::endpoint::loopback(0));
  raw_client client(listener.local_endpoint());
  auto accept = [&]() -> brigade::task<brigade::tcp_stream> {
    co_return co_await listener.accept();
  };
  brigade::tcp_stream server = loop().run_until(accept());

  unsigned char next_written = 0, next_read = 0;
  int got = 0, cancelled = 0;
  auto check = [&](std::span<const char> bytes) {
    for (const char c : bytes) {
      ASSERT_EQ(static_cast<unsigned char>(c), next_read) << "a byte lost, repeated or reordered";
      ++next_read;
    }
  };
  char buf[64];
  for (int i = 0, n = rounds(); i < n; ++i) {
    const unsigned char byte = next_written++;
    const long r = race(
        loop(),
        [&](std::atomic<bool>& near) -> brigade::task<long> {
          near.store(true);
          co_return static_cast<long>(co_await server.read(std::span<char>(buf)));
        },
        [&] { ASSERT_EQ(::write(client.fd, &byte, 1), 1); }, rng);
    if (r < 0) {
      ++cancelled;
    } else {
      ASSERT_GT(r, 0) << "round " << i << ": end of stream before the client closed";
      check(std::span<const char>(buf, static_cast<std::size_t>(r)));
      ++got;
    }
  }
  // What cancelled reads left behind is still there: read to the end of the stream.
  ASSERT_EQ(::shutdown(client.fd, SHUT_WR), 0);
  auto drain = [&]() -> brigade::task<void> {
    for (;;) {
      const std::size_t r = co_await server.read(std::span<char>(buf));
      if (r == 0) break;
      check(std::span<const char>(buf, r));
    }
  };
  loop().run_until(drain());
  EXPECT_EQ(next_read, next_written);
  std::printf("read %d, cancelled %d\n", got, cancelled);
}

TEST_P(io_cancel_stress, timer_expiry_against_stop_always_resumes) {
  const unsigned seed = brigade::testing::test_seed(std::random_device{}());
  std::mt19937 rng(seed);
  int fired = 0, cancelled = 0;
  for (int i = 0, n = rounds(); i < n; ++i) {
    const auto wait = std::chrono::microseconds(rng() % 50);
    const long r = race(
        loop(),
        [&](std::atomic<bool>& near) -> brigade::task<long> {
          near.store(true);
          co_await brigade::sleep_for(wait);
          co_return 1;
        },
        [] {}, rng);
    (r < 0 ? cancelled : fired)++;
  }
  auto ok = []() -> brigade::task<int> { co_return 7; };
  EXPECT_EQ(loop().run_until(ok()), 7);  // the loop runs on
  std::printf("fired %d, cancelled %d\n", fired, cancelled);
}

// More reads at once than io_uring's submission queue holds (256 entries; epoll has no such
// limit, and runs the same program), a random third of them cancelled while another thread
// writes one byte into each pipe in a random order. Every read ends once, with its pipe's byte or
// with operation_cancelled, and a cancelled read leaves the byte in the pipe for the next one.
TEST_P(io_cancel_stress, more_reads_than_the_submission_queue_some_cancelled) {
  const unsigned seed = brigade::testing::test_seed(std::random_device{}());
  std::mt19937 rng(seed);
  constexpr int pipes = 400;  // 800 descriptors: under the usual soft limit of 1024
  std::vector<brigade::pipe_stream> in;
  std::vector<int> out;
  for (int i = 0; i < pipes; ++i) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    in.emplace_back(loop(), fds[0]);
    out.push_back(fds[1]);
  }
  const int n_rounds = static_cast<int>(brigade::testing::scaled(20));
  for (int round = 0; round < n_rounds; ++round) {
    std::vector<std::stop_source> stops(pipes);
    std::vector<int> got(pipes, -2);  // the byte read, -1 cancelled, -2 not finished
    std::vector<int> order(pipes), victims;
    for (int i = 0; i < pipes; ++i) order[static_cast<std::size_t>(i)] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (int i = 0; i < pipes; ++i)
      if (rng() % 3 == 0) victims.push_back(i);
    std::shuffle(victims.begin(), victims.end(), rng);
    const auto byte_of = [round](int i) { return static_cast<unsigned char>(i + round); };
    std::latch go(3);
    std::thread writer([&] {
      go.arrive_and_wait();
      for (const int i : order) {
        const unsigned char b = byte_of(i);
        ASSERT_EQ(::write(out[static_cast<std::size_t>(i)], &b, 1), 1);
        spin(rng() % 200);
      }
    });
    const unsigned canceller_seed = static_cast<unsigned>(rng());
    std::thread canceller([&] {
      std::mt19937 r(canceller_seed);
      go.arrive_and_wait();
      for (const int i : victims) {
        stops[static_cast<std::size_t>(i)].request_stop();
        spin(r() % 300);
      }
    });
    auto reader = [&](int i) -> brigade::task<void> {
      char b = 0;
      try {
        const std::size_t n = co_await in[static_cast<std::size_t>(i)].read(std::span<char>(&b, 1));
        got[static_cast<std::size_t>(i)] = n == 1 ? static_cast<unsigned char>(b) : -3;
      } catch (const brigade::operation_cancelled&) {
        got[static_cast<std::size_t>(i)] = -1;
      }
    };
    auto all = [&]() -> brigade::task<void> {
      brigade::scope s;
      for (int i = 0; i < pipes; ++i)
        s.spawn(
            brigade::with_stop_token(reader(i), stops[static_cast<std::size_t>(i)].get_token()));
      go.arrive_and_wait();  // every read is queued (or in the backlog) before the race starts
      co_await s.join();
    };
    loop().run_until(all());
    writer.join();
    canceller.join();
    // A cancelled read left its byte: read it now (it has been written).
    auto leftovers = [&]() -> brigade::task<int> {
      int found = 0;
      for (int i = 0; i < pipes; ++i) {
        if (got[static_cast<std::size_t>(i)] != -1) continue;
        char b = 0;
        if (co_await in[static_cast<std::size_t>(i)].read(std::span<char>(&b, 1)) == 1 &&
            static_cast<unsigned char>(b) == byte_of(i))
          ++found;
      }
      co_return found;
    };
    int read_now = 0, cancelled = 0;
    for (int i = 0; i < pipes; ++i) {
      const int g = got[static_cast<std::size_t>(i)];
      ASSERT_NE(g, -2) << "round " << round << ": read " << i << " never finished";
      ASSERT_NE(g, -3) << "round " << round << ": read " << i << " saw end of stream";
      if (g == -1) {
        ++cancelled;
      } else {
        ASSERT_EQ(g, byte_of(i)) << "round " << round << ": read " << i << " got another byte";
        ++read_now;
      }
    }
    ASSERT_EQ(loop().run_until(leftovers()), cancelled) << "round " << round;
    if (round == 0) std::printf("round 0: read %d, cancelled %d\n", read_now, cancelled);
  }
  for (const int fd : out) ::close(fd);
}

BRIGADE_INSTANTIATE_ON_BACKENDS(io_cancel_stress);

}  // namespace
