// The epoch loop with the batch gradient summed by an OpenMP reduction: each thread folds a
// static slice of the batch into a private copy of the gradient array (reduction over an array
// section), which OpenMP then adds up in an order it does not specify.
#include "train/train.hpp"

#include <omp.h>

#include <span>

namespace bench::train {

std::vector<double> train_omp(const problem& p, int threads) {
  ::train::model m(p.data.train.features, p.data.train.classes);
  return ::train::run_sgd(m, p.data.train, p.sgd, [&](const ::train::model& cur, auto rows) {
    ::train::gradient_sum g{std::vector<double>(cur.w.size(), 0.0), 0.0};
    double* grad = g.grad.data();
    const std::size_t n = g.grad.size();
    double loss = 0;
#pragma omp parallel num_threads(threads) reduction(+ : loss, grad[:n])
    {
      const auto t = static_cast<std::size_t>(omp_get_thread_num());
      const auto team = static_cast<std::size_t>(omp_get_num_threads());
      const std::size_t b = rows.size() * t / team, e = rows.size() * (t + 1) / team;
      loss += ::train::add_loss_gradient(cur, p.data.train, rows.subspan(b, e - b),
                                         std::span<double>(grad, n));
    }
    g.loss = loss;
    return g;
  });
}

}  // namespace bench::train
