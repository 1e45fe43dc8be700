// Sums the ranks with a distributed reduction through the installed brigade::mpi.
#include <brigade/mpi/context.hpp>
#include <brigade/mpi/distributed.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  return brigade::mpi::run(argc, argv, [](brigade::mpi::context& ctx) {
    const long n = brigade::mpi::distributed_reduce(
        std::size_t{0}, std::size_t{1000}, 0L,
        [](std::size_t b, std::size_t e, long acc) { return acc + static_cast<long>(e - b); },
        [](long x, long y) { return x + y; });
    if (ctx.rank() == 0) std::printf("mpi consumer ok: %ld of %d ranks\n", n, ctx.size());
    return n == 1000 ? 0 : 1;
  });
}
