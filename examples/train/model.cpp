// Softmax regression: forward pass, cross-entropy, its gradient, and the deterministic sum.
#include "model.hpp"

#include <brigade/par/parallel_reduce.hpp>

#include <algorithm>
#include <cmath>

namespace train {
namespace {

// The logits of x for every class into z, softmax'ed in place; returns log(sum of exp) so that
// the loss of the true class is lse - logit.
double softmax(const model& m, const double* x, std::vector<double>& z) {
  for (std::size_t c = 0; c < m.classes; ++c) {
    const double* wc = m.w.data() + c * m.stride();
    double s = wc[m.features];  // the bias
    for (std::size_t f = 0; f < m.features; ++f) s += wc[f] * x[f];
    z[c] = s;
  }
  const double top = *std::max_element(z.begin(), z.end());  // subtracted: exp cannot overflow
  double sum = 0;
  for (double& v : z) sum += (v = std::exp(v - top));
  for (double& v : z) v /= sum;
  return top + std::log(sum);
}

}  // namespace

double add_loss_gradient(const model& m, const dataset& d, std::span<const std::size_t> rows,
                         std::span<double> grad) {
  std::vector<double> p(m.classes);
  double loss = 0;
  for (const std::size_t r : rows) {
    const double* x = d.row(r);
    const auto label = static_cast<std::size_t>(d.y[r]);
    const double* wl = m.w.data() + label * m.stride();
    double logit = wl[m.features];
    for (std::size_t f = 0; f < m.features; ++f) logit += wl[f] * x[f];
    loss += softmax(m, x, p) - logit;
    // d loss / d logit_c = p_c - [c == label]; the logit's gradient is x (and 1 for the bias).
    for (std::size_t c = 0; c < m.classes; ++c) {
      const double delta = p[c] - (c == label ? 1.0 : 0.0);
      double* gc = grad.data() + c * m.stride();
      for (std::size_t f = 0; f < m.features; ++f) gc[f] += delta * x[f];
      gc[m.features] += delta;
    }
  }
  return loss;
}

gradient_sum batch_gradient(const model& m, const dataset& d, std::span<const std::size_t> rows,
                            std::size_t grain, brigade::pool* pool) {
  return brigade::parallel_reduce(
      std::size_t{0}, rows.size(), gradient_sum{std::vector<double>(m.w.size(), 0.0), 0.0},
      [&](std::size_t b, std::size_t e, gradient_sum acc) {
        acc.loss += add_loss_gradient(m, d, rows.subspan(b, e - b), acc.grad);
        return acc;
      },
      [](gradient_sum left, const gradient_sum& right) {
        for (std::size_t i = 0; i < left.grad.size(); ++i) left.grad[i] += right.grad[i];
        left.loss += right.loss;
        return left;
      },
      {.grain = grain, .pool = pool, .deterministic = true});
}

void sgd_step(model& m, const gradient_sum& g, double lr, std::size_t batch) {
  const double k = lr / static_cast<double>(batch);
  for (std::size_t i = 0; i < m.w.size(); ++i) m.w[i] -= k * g.grad[i];
}

int predict(const model& m, const double* x) {
  std::vector<double> p(m.classes);
  softmax(m, x, p);
  return static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
}

double accuracy(const model& m, const dataset& d) {
  std::size_t right = 0;
  for (std::size_t i = 0; i < d.rows(); ++i) right += predict(m, d.row(i)) == d.y[i] ? 1 : 0;
  return d.rows() == 0 ? 0.0 : static_cast<double>(right) / static_cast<double>(d.rows());
}

}  // namespace train
