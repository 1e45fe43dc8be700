// The epoch loop with the batch gradient summed by brigade's deterministic parallel_reduce,
// as examples/train does it. The loop itself runs on one of the pool's workers (a task), so
// that each batch forks from a worker instead of waking the pool from outside and sleeping.
#include "train/train.hpp"

#include <brigade/par/parallel_for.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/pool/task_group.hpp>

#include <map>
#include <memory>

namespace bench::train {
namespace {

brigade::pool& pool_of(int threads) {
  static std::map<int, std::unique_ptr<brigade::pool>> pools;
  auto& p = pools[threads];
  if (!p) p = std::make_unique<brigade::pool>(static_cast<std::size_t>(threads));
  return *p;
}

}  // namespace

std::vector<double> train_brigade(const problem& p, int threads) {
  std::vector<double> losses;
  brigade::task_group on_the_pool(pool_of(threads));
  on_the_pool.run([&] {
    ::train::model m(p.data.train.features, p.data.train.classes);
    losses = ::train::run_sgd(m, p.data.train, p.sgd, [&](const ::train::model& cur, auto rows) {
      return ::train::batch_gradient(cur, p.data.train, rows, p.grain);
    });
  });
  on_the_pool.wait();
  return losses;
}

void start_brigade(const std::vector<int>& threads) {
  for (int t : threads)
    brigade::parallel_for(0, 1 << 16, [](std::size_t) {}, {.pool = &pool_of(t)});
}

}  // namespace bench::train
