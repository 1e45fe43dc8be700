// heat_mpi: examples/heat's stencil spread over MPI ranks by rows, one brigade pool per rank.
//
//   mpirun -np R heat_mpi --n N --steps S [--alpha A] [--check] [--json] [--trace FILE]
//
// The interior rows are cut into one block per rank (mpi::row_halo); each step updates a
// rank's middle rows on its pool while the edge rows travel to the neighbours, then its two
// edge rows. Rank 0 gathers the grid and prints what `heat` prints, the checksum the same
// double, bit for bit, at every rank and thread count.
#include "cli.hpp"
#include "heat.hpp"

#include <brigade/mpi/context.hpp>
#include <brigade/mpi/distributed.hpp>
#include <brigade/mpi/halo.hpp>
#include <brigade/pool/future.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/trace/trace.hpp>

#include <sys/resource.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace mpi = brigade::mpi;

namespace {

// CPU seconds this process has used, all its threads (the MPI progress agent's too).
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

int body(int argc, char** argv, mpi::context& ctx) {
  heat::settings s;
  if (const std::optional<int> stop = heat::parse(
          argc, argv, s, "heat_mpi",
          "The 2-D heat equation of `heat`, its rows spread over MPI ranks (run it under "
          "mpirun); each rank steps its rows with brigade while the halo rows travel.",
          ctx.rank() == 0))
    return *stop;
  const auto n = static_cast<std::size_t>(s.n);
  brigade::pool& pool = brigade::pool::global();  // started before timing
  const std::size_t threads = pool.size();

  if (!s.trace.empty()) brigade::trace::start();
  mpi::row_halo<double> halo(n, n);
  // Local row k is global row halo.begin() - 1 + k: the owned rows and a ghost row each side.
  std::vector<double> sine(n), a(halo.local_size()), b(halo.local_size());
  heat::fill_sine(sine.data(), n);
  for (std::size_t k = 0; k < halo.owned() + 2 && halo.owned() != 0; ++k)
    for (std::size_t j = 0; j < n; ++j)
      a[k * n + j] = b[k * n + j] = sine[halo.begin() - 1 + k] * sine[j];

  halo.exchange(a);       // the ghost rows hold their values already: this connects the ranks
  mpi::barrier().wait();  // every rank starts the clock together
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  // The time loop runs on a worker, which takes its share of every step (as heat::run_brigade).
  // halo.step blocks that worker while the ghost rows are late: nothing else runs on this pool.
  brigade::submit(pool, [&] {
    std::span<double> in(a), out(b);
    for (int step = 0; step < s.steps; ++step) {
      halo.step(in, out,
                [n, alpha = s.alpha](std::span<const double> from, std::span<double> to,
                                     std::size_t rb, std::size_t re) {
                  heat::step_rows(from.data(), to.data(), n, alpha, rb, re);
                },
                {.grain = heat::row_grain(n), .pool = &pool});
      std::swap(in, out);
    }
    if (in.data() != a.data()) std::swap(a, b);  // a holds the last step
  }).get();
  double cpu = cpu_seconds() - cpu0;  // before the barrier, which may spin
  mpi::barrier().wait();              // the slowest rank's time
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  mpi::allreduce(std::span(&cpu, 1), mpi::reduce_op::sum).wait();  // the job's CPU time

  // Rank 0 gets the interior rows in order; the boundary rows are zero.
  const std::vector<double> rows = mpi::gather_to(
      0, std::span<const double>(a).subspan(halo.owned() != 0 ? n : 0, halo.owned() * n));
  if (!s.trace.empty())
    brigade::trace::stop(s.trace);  // NAME.rankR.EXT (mpi::context set the rank)
  if (ctx.rank() != 0) return 0;
  std::vector<double> u(n * n, 0.0);
  std::copy(rows.begin(), rows.end(), u.begin() + static_cast<std::ptrdiff_t>(n));
  const double sum = heat::checksum(u.data(), n);
  const double gb_per_s =
      s.steps > 0 && seconds > 0 ? heat::bytes_per_step(n) * s.steps / seconds / 1e9 : 0.0;
  const double error = s.check ? heat::max_error(u.data(), n, s.steps, s.alpha) : 0.0;
  const double predicted = heat::predicted_error(n, s.alpha);
  if (s.json) {
    nlohmann::json j = {{"n", s.n},
                        {"steps", s.steps},
                        {"alpha", s.alpha},
                        {"ranks", ctx.size()},
                        {"threads", threads},
                        {"seconds", seconds},
                        {"cpu_seconds", cpu},
                        {"gb_per_s", gb_per_s},
                        {"max_error", nullptr},
                        {"checksum", sum}};
    if (s.check) {
      j["max_error"] = error;
      j["predicted_error"] = predicted;
    }
    std::cout << j.dump() << '\n';
    return 0;
  }
  const double h = 1.0 / static_cast<double>(n - 1);
  std::printf(
      "heat_mpi: %d x %d grid (h = 1/%d), %d steps of dt = %g h^2 to t = %.4g, %d ranks of %zu "
      "threads\n",
      s.n, s.n, s.n - 1, s.steps, s.alpha, s.steps * s.alpha * h * h, ctx.size(), threads);
  std::printf("  time       %.4f s   %.2f GB/s (16 bytes per point and step), %.4f s of CPU\n",
              seconds, gb_per_s, cpu);
  std::printf("  checksum   %.17g\n", sum);
  if (s.check)
    std::printf("  max error  %.3e against the analytic solution (at most %.3e expected)\n", error,
                predicted);
  if (!s.trace.empty())
    std::printf("  trace      %s, ... (one file per rank: brigade trace merges them)\n",
                brigade::trace::ranked_path(s.trace).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A rank that throws ends the whole job with "rank R: error: ..." (mpi::run).
  return mpi::run(argc, argv, [&](mpi::context& ctx) { return body(argc, argv, ctx); });
}
