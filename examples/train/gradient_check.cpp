// Checks the softmax regression's gradient against central finite differences of its loss, on a
// tiny model, and that the deterministic parallel sum agrees with the serial one.
#include "dataset.hpp"
#include "model.hpp"

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

int main() {
  train::dataset d;
  d.features = 3;
  d.classes = 4;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int r = 0; r < 9; ++r) {
    for (std::size_t f = 0; f < d.features; ++f) d.x.push_back(u(rng));
    d.y.push_back(r % 4);
  }
  train::model m(d.features, d.classes);
  for (double& w : m.w) w = u(rng);
  std::vector<std::size_t> rows(d.rows());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;

  std::vector<double> grad(m.w.size(), 0.0), unused(m.w.size(), 0.0);
  train::add_loss_gradient(m, d, rows, grad);
  auto loss = [&] { return train::add_loss_gradient(m, d, rows, unused); };
  int bad = 0;
  const double h = 1e-6;
  for (std::size_t i = 0; i < m.w.size(); ++i) {
    const double w = m.w[i];
    m.w[i] = w + h;
    const double up = loss();
    m.w[i] = w - h;
    const double down = loss();
    m.w[i] = w;
    const double numeric = (up - down) / (2 * h);
    if (std::fabs(numeric - grad[i]) > 1e-6 * std::max(1.0, std::fabs(numeric))) {
      std::fprintf(stderr, "w[%zu]: gradient %.9g, finite difference %.9g\n", i, grad[i], numeric);
      ++bad;
    }
  }

  // grain 2 on 9 rows: several leaves and combines, which must add up to the serial sum.
  const train::gradient_sum par = train::batch_gradient(m, d, rows, 2);
  std::vector<double> serial(m.w.size(), 0.0);
  const double serial_loss = train::add_loss_gradient(m, d, rows, serial);
  for (std::size_t i = 0; i < m.w.size(); ++i)
    if (std::fabs(par.grad[i] - serial[i]) > 1e-12) ++bad;
  if (std::fabs(par.loss - serial_loss) > 1e-12) ++bad;

  std::printf("%zu weights: %s\n", m.w.size(), bad == 0 ? "gradient matches" : "MISMATCH");
  return bad == 0 ? 0 : 1;
}
