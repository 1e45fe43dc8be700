// Multinomial logistic (softmax) regression: its cross-entropy loss, the gradient, and SGD.
//
// The gradient of a mini-batch is a sum over its samples. batch_gradient sums it with
// brigade::parallel_reduce and `.deterministic = true`: the pieces and the order in which their
// partial gradients are added depend only on the batch size and the grain, never on the number
// of threads or on who stole what, so the floating-point result is the same bits on any pool.
#pragma once

#include "dataset.hpp"

#include <brigade/pool/pool.hpp>

#include <cstddef>
#include <span>
#include <vector>

namespace train {

/// Weights of a softmax regression: one row per class, `features` weights then a bias.
struct model {
  std::size_t features = 0;
  std::size_t classes = 0;
  std::vector<double> w;  // classes × (features + 1), all zero to start

  model(std::size_t features_, std::size_t classes_)
      : features(features_), classes(classes_), w(classes_ * (features_ + 1), 0.0) {}
  std::size_t stride() const noexcept { return features + 1; }
};

/// A summed gradient (same shape as model::w) and summed loss over some samples.
struct gradient_sum {
  std::vector<double> grad;
  double loss = 0;
};

/// Adds the gradient of the cross-entropy loss of each sample in `rows` (indices into d) into
/// `grad` (model::w's size) and returns their summed loss. Serial: the body of every variant.
double add_loss_gradient(const model& m, const dataset& d, std::span<const std::size_t> rows,
                         std::span<double> grad);

/// The gradient summed over `rows` on `pool` (nullptr: the ambient pool), deterministically:
/// `grain` samples per leaf, leaves and combine tree fixed by rows.size() and grain (see top).
gradient_sum batch_gradient(const model& m, const dataset& d, std::span<const std::size_t> rows,
                            std::size_t grain, brigade::pool* pool = nullptr);

/// One SGD step: w -= lr × g.grad / batch (the mean gradient of the batch).
void sgd_step(model& m, const gradient_sum& g, double lr, std::size_t batch);

/// The most probable class of the sample x (features numbers).
int predict(const model& m, const double* x);

/// The fraction of d's rows that m classifies correctly.
double accuracy(const model& m, const dataset& d);

}  // namespace train
