// Block distribution of an index range over ranks.
#include <brigade/mpi/distributed.hpp>

#include <stdexcept>
#include <string>

namespace brigade::mpi {

block block_of(std::size_t first, std::size_t last, int rank, int ranks) {
  if (first > last)
    throw std::invalid_argument("block_of: first " + std::to_string(first) + " is after last " +
                                std::to_string(last));
  if (ranks < 1) throw std::invalid_argument("block_of: " + std::to_string(ranks) + " ranks");
  if (rank < 0 || rank >= ranks)
    throw std::invalid_argument("block_of: rank " + std::to_string(rank) + " is not in 0.." +
                                std::to_string(ranks - 1));
  const std::size_t n = last - first;
  const auto p = static_cast<std::size_t>(ranks);
  const auto r = static_cast<std::size_t>(rank);
  const std::size_t base = n / p, extra = n % p;
  const std::size_t begin = first + r * base + (r < extra ? r : extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

}  // namespace brigade::mpi
