// The epoch loop with the batch gradient summed serially, sample after sample.
#include "train/train.hpp"

namespace bench::train {

std::vector<double> train_serial(const problem& p) {
  ::train::model m(p.data.train.features, p.data.train.classes);
  return ::train::run_sgd(m, p.data.train, p.sgd, [&](const ::train::model& cur, auto rows) {
    ::train::gradient_sum g{std::vector<double>(cur.w.size(), 0.0), 0.0};
    g.loss = ::train::add_loss_gradient(cur, p.data.train, rows, g.grad);
    return g;
  });
}

}  // namespace bench::train
