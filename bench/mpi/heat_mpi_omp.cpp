// heat_mpi_omp: examples/heat's stencil as plain MPI + OpenMP, the peer of heat_mpi in
// bench/mpi/run.sh. The same row blocks (the first ranks get the longer ones), a blocking
// MPI_Sendrecv of the edge rows before each step (no overlap), then `#pragma omp parallel for`
// over the rank's rows calling heat::step_rows. Rank 0 gathers the grid and prints one JSON line
// with heat's checksum, which must equal heat_mpi's.
#include <heat.hpp>

#include <mpi.h>
#include <omp.h>
#include <sys/resource.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <utility>
#include <vector>

namespace {

// Rows [begin, end) of rank r of `ranks` over [first, last), as brigade::mpi::block_of cuts them.
std::pair<std::size_t, std::size_t> block(std::size_t first, std::size_t last, int r, int ranks) {
  const std::size_t n = last - first, k = static_cast<std::size_t>(ranks);
  const std::size_t base = n / k, extra = n % k, ur = static_cast<std::size_t>(r);
  const std::size_t begin = first + ur * base + (ur < extra ? ur : extra);
  return {begin, begin + base + (ur < extra ? 1 : 0)};
}

double cpu_seconds() {  // this process, all its threads
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

}  // namespace

int main(int argc, char** argv) {
  int n = 1024, steps = 100;
  double alpha = 0.2;
  CLI::App app{"The heat stencil as plain MPI + OpenMP (the peer of heat_mpi)", "heat_mpi_omp"};
  app.add_option("--n", n, "grid points per side")->check(CLI::Range(3, 32768));
  app.add_option("--steps", steps, "time steps")->check(CLI::Range(0, 1 << 30));
  app.add_option("--alpha", alpha, "dt / h^2")->check(CLI::Range(0.0, 0.25));
  CLI11_PARSE(app, argc, argv);

  int provided = 0, rank = 0, ranks = 1;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const auto un = static_cast<std::size_t>(n);
  const auto [begin, end] = block(1, un - 1, rank, ranks);
  const std::size_t owned = end - begin;
  // The neighbours that own rows (with more ranks than interior rows, the last own none).
  const auto [next_begin, next_end] = block(1, un - 1, rank + 1 < ranks ? rank + 1 : rank, ranks);
  const int up = owned != 0 && rank > 0 ? rank - 1 : MPI_PROC_NULL;
  const int down =
      owned != 0 && rank + 1 < ranks && next_end > next_begin ? rank + 1 : MPI_PROC_NULL;

  std::vector<double> sine(un), a((owned + 2) * un, 0.0), b((owned + 2) * un, 0.0);
  heat::fill_sine(sine.data(), un);
  for (std::size_t k = 0; owned != 0 && k < owned + 2; ++k)
    for (std::size_t j = 0; j < un; ++j)
      a[k * un + j] = b[k * un + j] = sine[begin - 1 + k] * sine[j];

  // Warm up outside the clock, as heat_mpi's pool and progress agent are started before it:
  // OpenMP's thread team, and Open MPI's shared-memory connection to each neighbour.
  double* in = a.data();
  double* out = b.data();
  const int cols = n;
  const auto exchange = [&] {
    // First owned row up, ghost row from below; last owned row down, ghost row from above.
    MPI_Sendrecv(in + un, cols, MPI_DOUBLE, up, 7, in + (owned + 1) * un, cols, MPI_DOUBLE, down, 7,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Sendrecv(in + owned * un, cols, MPI_DOUBLE, down, 8, in, cols, MPI_DOUBLE, up, 8,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  };
  if (owned != 0) exchange();
  int threads = 1;
#pragma omp parallel
#pragma omp single
  threads = omp_get_num_threads();

  MPI_Barrier(MPI_COMM_WORLD);
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  for (int s = 0; s < steps && owned != 0; ++s) {
    exchange();
#pragma omp parallel for schedule(static)
    for (std::size_t i = 1; i <= owned; ++i) heat::step_rows(in, out, un, alpha, i, i + 1);
    std::swap(in, out);
  }
  const double cpu = cpu_seconds() - cpu0;  // before the barrier, which spins
  MPI_Barrier(MPI_COMM_WORLD);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double job_cpu = 0;
  MPI_Reduce(&cpu, &job_cpu, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);

  // Rank 0 gathers the interior rows and folds heat's checksum.
  std::vector<int> counts(static_cast<std::size_t>(ranks)), displs(counts.size());
  for (int r = 0; r < ranks; ++r) {
    const auto [rb, re] = block(1, un - 1, r, ranks);
    counts[static_cast<std::size_t>(r)] = static_cast<int>((re - rb) * un);
    displs[static_cast<std::size_t>(r)] = static_cast<int>((rb - 1) * un);
  }
  std::vector<double> u(rank == 0 ? un * un : 0, 0.0);
  MPI_Gatherv(in + un, static_cast<int>(owned * un), MPI_DOUBLE,
              rank == 0 ? u.data() + un : nullptr, counts.data(), displs.data(), MPI_DOUBLE, 0,
              MPI_COMM_WORLD);
  if (rank == 0) {
    std::printf(
        "{\"impl\":\"mpi+omp\",\"n\":%d,\"steps\":%d,\"ranks\":%d,\"threads\":%d,\"seconds\":%.6g,"
        "\"cpu_seconds\":%.6g,"
        "\"checksum\":%.17g}\n",
        n, steps, ranks, threads, seconds, job_cpu, heat::checksum(u.data(), un));
  }
  MPI_Finalize();
  return 0;
}
