// A 2-D grid decomposed by rows over the ranks, and the halo exchange of its boundary rows,
// overlapped with the update of the rows that do not need it.
//
// The grid has `rows` × `cols` values; rows 0 and rows-1 are fixed (a boundary no rank
// updates). The interior rows 1 .. rows-2 are cut into one block per rank (block_of). A rank
// keeps its block with one ghost row above and one below: local row 0 is global row begin()-1,
// local row k is global row begin()-1+k, local row owned()+1 is global row end(). A step reads
// one local buffer and writes another; before it, each rank's ghost rows must hold its
// neighbours' edge rows of the buffer being read: step() sends and receives them while the rows
// in the middle are updated, and updates the two edge rows once they have arrived.
#pragma once

#include <brigade/mpi/context.hpp>
#include <brigade/mpi/distributed.hpp>
#include <brigade/mpi/operation.hpp>
#include <brigade/par/parallel_for.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

namespace brigade::mpi {

template <class T>
class row_halo {
 public:
  /// This rank's share of a rows × cols grid (rows >= 3, cols >= 1), on the live context.
  /// std::invalid_argument naming the bad size otherwise. A rank may own no row (more ranks
  /// than interior rows): it then takes part in nothing.
  row_halo(std::size_t rows, std::size_t cols, int tag = 7) : rows_(rows), cols_(cols), tag_(tag) {
    if (rows < 3)
      throw std::invalid_argument("row_halo: " + std::to_string(rows) +
                                  " rows leave no interior row (need at least 3)");
    if (cols < 1) throw std::invalid_argument("row_halo: 0 columns");
    context& ctx = context::current();
    const int rank = ctx.rank();
    const int ranks = ctx.size();
    mine_ = block_of(1, rows - 1, rank, ranks);
    // Neighbours: the nearest ranks above and below that own rows (trailing ranks may own none).
    if (mine_.size() != 0) {
      if (rank > 0) up_ = rank - 1;  // earlier ranks own rows whenever this one does
      if (rank + 1 < ranks && block_of(1, rows - 1, rank + 1, ranks).size() != 0) down_ = rank + 1;
    }
  }

  std::size_t rows() const noexcept { return rows_; }
  std::size_t cols() const noexcept { return cols_; }
  /// The global rows this rank updates: [begin(), end()).
  std::size_t begin() const noexcept { return mine_.begin; }
  std::size_t end() const noexcept { return mine_.end; }
  std::size_t owned() const noexcept { return mine_.size(); }
  /// Values in one local buffer: (owned() + 2) rows of cols().
  std::size_t local_size() const noexcept { return (owned() + 2) * cols_; }
  /// The neighbour ranks above and below, or -1 at the grid's edge.
  int up() const noexcept { return up_; }
  int down() const noexcept { return down_; }

  /// Exchanges the edge rows of `local` (local_size() values) with the neighbours: its first
  /// and last owned rows go out, its two ghost rows are filled. Blocking; collective with the
  /// neighbours.
  void exchange(std::span<T> local) {
    check(local);
    exchange_ops ops(*this, local);
    ops.wait();
  }

  /// One step: `update(in, out, b, e)` must update local rows [b, e) of `out` from `in` (local
  /// row indices, 1 .. owned()). Starts the exchange of in's edge rows, updates rows 2 ..
  /// owned()-1 (which need no ghost) with parallel_for_range on this rank's pool (options as
  /// parallel_for's), waits for the ghosts, then updates rows 1 and owned(). `in` is not
  /// written except for its ghost rows. Blocking; collective with the neighbours.
  template <class Update>
  void step(std::span<T> in, std::span<T> out, Update&& update, const par_options& options = {}) {
    check(in);
    check(out);
    if (owned() == 0) return;
    exchange_ops ops(*this, in);
    const std::size_t n = owned();
    if (n > 2)
      brigade::parallel_for_range(
          std::size_t{2}, n,
          [&](std::size_t b, std::size_t e) { update(std::span<const T>(in), out, b, e); },
          options);
    ops.wait();
    update(std::span<const T>(in), out, std::size_t{1}, std::size_t{2});
    if (n > 1) update(std::span<const T>(in), out, n, n + 1);
  }

 private:
  void check(std::span<T> local) const {
    if (local.size() != local_size())
      throw std::invalid_argument("row_halo: a local buffer of " + std::to_string(local.size()) +
                                  " values, not " + std::to_string(local_size()) + " ((" +
                                  std::to_string(owned()) + " + 2) rows of " +
                                  std::to_string(cols_) + ")");
  }

  // The four operations of one exchange (those with a neighbour), started together.
  struct exchange_ops {
    exchange_ops(const row_halo& h, std::span<T> local) {
      if (h.owned() == 0) return;
      const std::size_t c = h.cols_;
      const std::size_t last = h.owned();
      if (h.up_ >= 0) {
        recv_up.emplace(recv(local.subspan(0, c), h.up_, h.tag_));
        send_up.emplace(send(std::span<const T>(local.subspan(c, c)), h.up_, h.tag_));
      }
      if (h.down_ >= 0) {
        recv_down.emplace(recv(local.subspan((last + 1) * c, c), h.down_, h.tag_));
        send_down.emplace(send(std::span<const T>(local.subspan(last * c, c)), h.down_, h.tag_));
      }
    }
    void wait() {
      if (recv_up) recv_up->wait();
      if (send_up) send_up->wait();
      if (recv_down) recv_down->wait();
      if (send_down) send_down->wait();
    }
    std::optional<operation<status>> recv_up, recv_down;
    std::optional<operation<void>> send_up, send_down;
  };

  std::size_t rows_, cols_;
  int tag_;
  block mine_;
  int up_ = -1, down_ = -1;
};

}  // namespace brigade::mpi
