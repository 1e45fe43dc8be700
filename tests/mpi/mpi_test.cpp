// brigade::mpi under mpirun (registered at 2 and 4 ranks, and funneled at 2): point to point,
// collectives, the distributed shapes (their results equal the one-process ones bit for bit),
// the halo exchange against a serial stencil, coroutines awaiting messages on a loop and on a
// pool, MPI errors as exceptions, dropped operations.
//
// Every rank runs every test. A test that would leave a peer waiting on failure checks its
// results only after its communication is done.
#include <brigade/core/task.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/timer.hpp>
#include <brigade/mpi/context.hpp>
#include <brigade/mpi/distributed.hpp>
#include <brigade/mpi/halo.hpp>
#include <brigade/mpi/operation.hpp>
#include <brigade/par/parallel_reduce.hpp>
#include <brigade/pool/future.hpp>
#include <brigade/pool/pool.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

namespace mpi = brigade::mpi;
using namespace std::chrono_literals;

namespace {

mpi::context& ctx() {
  return mpi::context::current();
}
int next_rank() {
  return (ctx().rank() + 1) % ctx().size();
}
int previous_rank() {
  return (ctx().rank() + ctx().size() - 1) % ctx().size();
}

// Terms whose float sum depends on the order of addition.
double term(std::size_t i) {
  return std::sin(static_cast<double>(i) * 0.37) * std::pow(10.0, static_cast<double>(i % 7) - 3);
}

}  // namespace

TEST(mpi_context, rank_and_size) {
  EXPECT_GE(ctx().size(), 1);
  EXPECT_GE(ctx().rank(), 0);
  EXPECT_LT(ctx().rank(), ctx().size());
  const char* forced = std::getenv("BRIGADE_MPI_THREADS");
  if (forced != nullptr && std::string(forced) == "funneled") {
    EXPECT_EQ(ctx().mode(), mpi::thread_mode::funneled);
  }
  EXPECT_THROW(
      {
        int argc = 0;
        char** argv = nullptr;
        mpi::context second(argc, argv);
      },
      std::logic_error);
}

TEST(mpi_block, blocks_cover_the_range_in_order) {
  for (std::size_t n : {0u, 1u, 5u, 7u, 100u}) {
    for (int ranks = 1; ranks <= 6; ++ranks) {
      std::size_t at = 10;
      for (int r = 0; r < ranks; ++r) {
        const mpi::block b = mpi::block_of(10, 10 + n, r, ranks);
        EXPECT_EQ(b.begin, at);
        EXPECT_LE(b.size(), n / static_cast<std::size_t>(ranks) + 1);
        EXPECT_GE(b.size(), n / static_cast<std::size_t>(ranks));
        at = b.end;
      }
      EXPECT_EQ(at, 10 + n);
    }
  }
  EXPECT_THROW(mpi::block_of(0, 10, 3, 3), std::invalid_argument);
  EXPECT_THROW(mpi::block_of(0, 10, 0, 0), std::invalid_argument);
  EXPECT_THROW(mpi::block_of(5, 4, 0, 1), std::invalid_argument);
}

TEST(mpi_point_to_point, ring_blocking) {
  std::vector<int> out(1000), in(1000, -1);
  std::iota(out.begin(), out.end(), ctx().rank() * 1000);
  auto r = mpi::recv(std::span(in), previous_rank(), 3);
  mpi::send(std::span(out), next_rank(), 3).wait();
  const mpi::status st = r.wait();
  EXPECT_EQ(st.source, previous_rank());
  EXPECT_EQ(st.tag, 3);
  EXPECT_EQ(st.count, 1000u);
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(in[static_cast<std::size_t>(i)], previous_rank() * 1000 + i);
}

struct pair_of {
  int rank;
  double value;
};

TEST(mpi_point_to_point, trivially_copyable_structs_travel_as_bytes) {
  std::vector<pair_of> out(3, pair_of{ctx().rank(), 0.5}), in(5);
  auto r = mpi::recv(std::span(in), mpi::any_source, mpi::any_tag);
  mpi::send(std::span(out), next_rank(), 11).wait();
  const mpi::status st = r.wait();
  EXPECT_EQ(st.count, 3u);  // elements, not bytes
  EXPECT_EQ(st.source, previous_rank());
  EXPECT_EQ(in[2].rank, previous_rank());
  EXPECT_EQ(in[2].value, 0.5);
}

TEST(mpi_point_to_point, a_coroutine_on_a_loop_awaits_without_blocking_the_loop) {
  brigade::event_loop loop;
  std::vector<double> in(64), out(64, ctx().rank() + 0.25);
  std::atomic<int> ticks{0};
  auto ticker = [&]() -> brigade::task<void> {
    for (int i = 0; i < 3; ++i) {
      co_await brigade::sleep_for(1ms);
      ++ticks;
    }
  };
  auto exchange = [&]() -> brigade::task<mpi::status> {
    auto r = mpi::recv(std::span(in), previous_rank(), 5);
    co_await mpi::send(std::span(out), next_rank(), 5);
    co_return co_await r;
  };
  auto both = [&]() -> brigade::task<mpi::status> {
    auto t = ticker();
    auto e = exchange();
    co_await std::move(t);  // the loop keeps running timers while the receive is outstanding
    co_return co_await std::move(e);
  };
  const mpi::status st = loop.run_until(both());
  EXPECT_EQ(ticks.load(), 3);
  EXPECT_EQ(st.source, previous_rank());
  EXPECT_EQ(in[63], previous_rank() + 0.25);
}

TEST(mpi_point_to_point, a_coroutine_on_a_pool_worker_awaits) {
  brigade::pool pool(2);
  brigade::event_loop loop;
  std::vector<long> in(10), out(10, ctx().rank());
  std::atomic<bool> resumed_on_a_worker{false};
  auto on_pool = [&]() -> brigade::task<long> {
    co_await pool.schedule();
    auto r = mpi::recv(std::span(in), previous_rank(), 8);
    co_await mpi::send(std::span(out), next_rank(), 8);
    co_await r;
    resumed_on_a_worker = brigade::detail::current_worker() != nullptr;
    co_await loop.schedule();  // back home before the task ends
    co_return in[9];
  };
  EXPECT_EQ(loop.run_until(on_pool()), previous_rank());
  EXPECT_TRUE(resumed_on_a_worker.load());
}

TEST(mpi_collectives, allreduce_broadcast_allgather_barrier) {
  const int n = ctx().size();
  const int me = ctx().rank();
  std::vector<long> sum(4, me + 1);
  mpi::allreduce(std::span(sum), mpi::reduce_op::sum).wait();
  std::vector<double> top{static_cast<double>(me)};
  mpi::allreduce(std::span(top), mpi::reduce_op::max).wait();
  std::vector<char> word(6, 'x');
  if (me == n - 1) std::memcpy(word.data(), "ranks", 6);
  mpi::broadcast(std::span(word), n - 1).wait();
  // Rank r gives r + 1 values, all equal to r.
  std::vector<int> mine(static_cast<std::size_t>(me) + 1, me);
  std::vector<std::size_t> counts;
  std::size_t total = 0;
  for (int r = 0; r < n; ++r) {
    counts.push_back(static_cast<std::size_t>(r) + 1);
    total += counts.back();
  }
  std::vector<int> all(total, -1);
  mpi::allgather(std::span<const int>(mine), std::span(all), std::span<const std::size_t>(counts))
      .wait();
  mpi::barrier().wait();

  EXPECT_EQ(sum[3], static_cast<long>(n) * (n + 1) / 2);
  EXPECT_EQ(top[0], n - 1);
  EXPECT_STREQ(word.data(), "ranks");
  std::size_t at = 0;
  for (int r = 0; r < n; ++r)
    for (int k = 0; k <= r; ++k) EXPECT_EQ(all[at++], r);
  // Wrong counts are refused before anything is sent, naming the counts.
  std::vector<std::size_t> short_counts(static_cast<std::size_t>(n) + 1, 1);
  EXPECT_THROW((void)mpi::allgather(std::span<const int>(mine), std::span(all),
                                    std::span<const std::size_t>(short_counts)),
               std::invalid_argument);
}

TEST(mpi_distributed, reduce_is_bit_identical_to_the_one_process_reduction) {
  for (std::size_t grain : {0u, 1u, 7u, 64u}) {
    for (std::size_t n : {1u, 5u, 1000u, 100'003u}) {
      auto fold = [](std::size_t b, std::size_t e, double acc) {
        for (std::size_t i = b; i < e; ++i) acc += term(i);
        return acc;
      };
      auto plus = [](double x, double y) { return x + y; };
      const double distributed =
          mpi::distributed_reduce(std::size_t{0}, n, 0.0, fold, plus, {.grain = grain});
      const double one_process = brigade::parallel_reduce(std::size_t{0}, n, 0.0, fold, plus,
                                                          {.grain = grain, .deterministic = true});
      std::uint64_t a = 0, b = 0;
      std::memcpy(&a, &distributed, 8);
      std::memcpy(&b, &one_process, 8);
      EXPECT_EQ(a, b) << "n " << n << " grain " << grain << ": " << distributed << " vs "
                      << one_process;
    }
  }
}

TEST(mpi_distributed, reduce_of_vectors_is_bit_identical_too) {
  using vec = std::vector<double>;
  auto fold = [](std::size_t b, std::size_t e, vec acc) {
    for (std::size_t i = b; i < e; ++i) {
      acc[i % 3] += term(i);
      acc[3] += 1.0;
    }
    return acc;
  };
  auto plus = [](vec x, const vec& y) {
    for (std::size_t k = 0; k < x.size(); ++k) x[k] += y[k];
    return x;
  };
  const vec distributed = mpi::distributed_reduce(std::size_t{3}, std::size_t{5003}, vec(4, 0.0),
                                                  fold, plus, {.grain = 16});
  const vec one_process =
      brigade::parallel_reduce(std::size_t{3}, std::size_t{5003}, vec(4, 0.0), fold, plus,
                               {.grain = 16, .deterministic = true});
  ASSERT_EQ(distributed.size(), 4u);
  for (std::size_t k = 0; k < 4; ++k) EXPECT_EQ(distributed[k], one_process[k]) << k;
  EXPECT_EQ(distributed[3], 5000.0);
}

TEST(mpi_distributed, distributed_for_runs_each_index_once_across_ranks) {
  const std::size_t n = 1001;
  std::vector<int> seen(n, 0);
  const mpi::block mine =
      mpi::distributed_for(std::size_t{0}, n, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) seen[i] += 1;
      });
  mpi::allreduce(std::span(seen), mpi::reduce_op::sum).wait();
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << i;
  EXPECT_EQ(mine, mpi::block_of(0, n, ctx().rank(), ctx().size()));
}

TEST(mpi_distributed, gather_to_concatenates_in_rank_order) {
  const int me = ctx().rank();
  std::vector<short> mine(static_cast<std::size_t>(me) * 2 + 1, static_cast<short>(me));
  const std::vector<short> all = mpi::gather_to(0, std::span<const short>(mine));
  if (me != 0) {
    EXPECT_TRUE(all.empty());
    return;
  }
  std::size_t at = 0;
  for (int r = 0; r < ctx().size(); ++r)
    for (int k = 0; k < 2 * r + 1; ++k) ASSERT_EQ(all[at++], r);
  EXPECT_EQ(at, all.size());
}

// A 5-point averaging stencil on rows × cols, rows 0 and rows-1 and the edge columns fixed.
void serial_steps(std::vector<double>& g, std::size_t rows, std::size_t cols, int steps) {
  std::vector<double> next = g;
  for (int s = 0; s < steps; ++s) {
    for (std::size_t i = 1; i + 1 < rows; ++i)
      for (std::size_t j = 1; j + 1 < cols; ++j)
        next[i * cols + j] =
            0.2 * (g[i * cols + j] + g[(i - 1) * cols + j] + g[(i + 1) * cols + j] +
                   g[i * cols + j - 1] + g[i * cols + j + 1]);
    std::swap(g, next);
  }
}

TEST(mpi_halo, steps_equal_the_serial_stencil_bit_for_bit) {
  for (std::size_t rows : {3u, 4u, 9u, 40u}) {
    const std::size_t cols = 13;
    const int steps = 7;
    auto initial = [](std::size_t i, std::size_t j) {
      return static_cast<double>((i * 31 + j * 17) % 23) / 7.0;
    };
    std::vector<double> serial(rows * cols);
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = 0; j < cols; ++j) serial[i * cols + j] = initial(i, j);
    serial_steps(serial, rows, cols, steps);

    mpi::row_halo<double> h(rows, cols);
    std::vector<double> a(h.local_size()), b(h.local_size());
    for (std::size_t k = 0; k < h.owned() + 2; ++k) {
      const std::size_t i = h.begin() - 1 + k;
      for (std::size_t j = 0; j < cols; ++j) a[k * cols + j] = b[k * cols + j] = initial(i, j);
    }
    auto update = [=](std::span<const double> in, std::span<double> out, std::size_t rb,
                      std::size_t re) {
      for (std::size_t i = rb; i < re; ++i)
        for (std::size_t j = 1; j + 1 < cols; ++j)
          out[i * cols + j] =
              0.2 * (in[i * cols + j] + in[(i - 1) * cols + j] + in[(i + 1) * cols + j] +
                     in[i * cols + j - 1] + in[i * cols + j + 1]);
    };
    for (int s = 0; s < steps; ++s) {
      h.step(std::span(a), std::span(b), update);
      std::swap(a, b);
    }
    // The owned rows, gathered on rank 0 between the fixed first and last rows.
    const std::vector<double> owned =
        mpi::gather_to(0, std::span<const double>(a).subspan(cols, h.owned() * cols));
    if (ctx().rank() != 0) continue;
    ASSERT_EQ(owned.size(), (rows - 2) * cols);
    for (std::size_t k = 0; k < owned.size(); ++k)
      ASSERT_EQ(owned[k], serial[cols + k]) << "rows " << rows << " at " << k;
  }
}

TEST(mpi_errors, an_mpi_error_is_an_exception_naming_the_call) {
  std::vector<int> v(4);
  try {
    mpi::send(std::span(v), ctx().size() + 5, 0).wait();
    FAIL() << "sending to a rank that does not exist succeeded";
  } catch (const mpi::error& e) {
    EXPECT_NE(std::string(e.what()).find("MPI_Isend"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rank"), std::string::npos) << e.what();
  }
}

TEST(mpi_errors, a_message_longer_than_the_buffer_is_an_error) {
  std::vector<int> out(8, 1), in(4);
  auto r = mpi::recv(std::span(in), previous_rank(), 21);
  mpi::send(std::span(out), next_rank(), 21).wait();
  try {
    r.wait();
    FAIL() << "a truncated message was accepted";
  } catch (const mpi::error& e) {
    EXPECT_NE(std::string(e.what()).find("MPI_Irecv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncat"), std::string::npos) << e.what();
  }
  mpi::barrier().wait();
}

TEST(mpi_errors, a_dropped_receive_is_cancelled_not_left_waiting) {
  std::vector<int> in(4);
  {
    auto never = mpi::recv(std::span(in), ctx().rank(), 999);  // nobody sends it
    EXPECT_FALSE(never.done());
  }  // destroying it cancels it, or this would hang
  mpi::barrier().wait();
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return mpi::run(argc, argv, [](mpi::context& c) {
    // Only rank 0 prints the report; every rank's result goes into the exit status.
    if (c.rank() != 0) {
      auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
      delete listeners.Release(listeners.default_result_printer());
    }
    return RUN_ALL_TESTS();
  });
}
