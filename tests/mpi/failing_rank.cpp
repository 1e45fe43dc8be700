// Rank 1 throws while rank 0 waits for a message that will never come: mpi::run must end the
// whole job with rank 1's message instead of leaving rank 0 waiting.
#include <brigade/mpi/context.hpp>
#include <brigade/mpi/operation.hpp>

#include <stdexcept>
#include <vector>

int main(int argc, char** argv) {
  return brigade::mpi::run(argc, argv, [](brigade::mpi::context& ctx) {
    std::vector<int> v(1);
    if (ctx.rank() == 1) throw std::runtime_error("the stove is on fire");
    brigade::mpi::recv(std::span(v), 1, 0).wait();  // never sent
    return 0;
  });
}
