// train_mpi: examples/train's SGD, data-parallel over MPI ranks. Every rank loads the data and
// holds the model; each batch's gradient is an mpi::distributed_reduce over the batch's rows,
// grain 16 as in `train`: a rank folds its share of the leaves on its pool, the leaf values are
// exchanged, and every rank combines them in the same fixed tree — so every rank takes the same
// step, and the losses are `train`'s, bit for bit, at any number of ranks and threads.
//
//   mpirun -np R train_mpi [--data FILE] [--epochs E] [--batch B] [--lr L] [--json]
#include "dataset.hpp"
#include "model.hpp"
#include "sgd.hpp"

#include <brigade/mpi/context.hpp>
#include <brigade/mpi/distributed.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/pool/task_group.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace mpi = brigade::mpi;

namespace {

constexpr std::size_t grain = 16;  // as train's: with the batch, fixes the sum's tree
constexpr double test_fraction = 0.25;
constexpr std::uint64_t split_seed = 42;

// batch_gradient's reduction over the ranks: a gradient_sum travels as its gradient with the
// loss appended, and fold and combine do batch_gradient's arithmetic in its order.
train::gradient_sum distributed_gradient(const train::model& m, const train::dataset& d,
                                         std::span<const std::size_t> rows) {
  const std::size_t w = m.w.size();
  std::vector<double> sum = mpi::distributed_reduce(
      std::size_t{0}, rows.size(), std::vector<double>(w + 1, 0.0),
      [&](std::size_t b, std::size_t e, std::vector<double> acc) {
        acc[w] += train::add_loss_gradient(m, d, rows.subspan(b, e - b), std::span(acc).first(w));
        return acc;
      },
      [](std::vector<double> left, const std::vector<double>& right) {
        for (std::size_t i = 0; i < left.size(); ++i) left[i] += right[i];
        return left;
      },
      {.grain = grain});
  const double loss = sum.back();
  sum.pop_back();
  return {std::move(sum), loss};
}

int body(int argc, char** argv, mpi::context& ctx) {
  const bool speak = ctx.rank() == 0;  // every rank decides alike; rank 0 prints
  std::string data;
  train::sgd_options o;
  long long batch = static_cast<long long>(o.batch);
  bool json = false;
  CLI::App app{"train_mpi: train's softmax regression, data-parallel over MPI ranks", "train_mpi"};
  app.add_option("--data", data, "CSV file, gzip'ed or plain (default: as train)");
  app.add_option("--epochs", o.epochs, "passes over the training rows")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--batch", batch, "rows per SGD step")->capture_default_str();
  app.add_option("--lr", o.lr, "learning rate, in (0, 100]")->capture_default_str();
  app.add_flag("--json", json, "print one JSON object instead of the summary");
  try {
    app.parse(argc, argv);
    if (!(std::isfinite(o.lr) && o.lr > 0 && o.lr <= 100))
      throw std::invalid_argument("--lr: " + std::to_string(o.lr) + " is not in (0, 100]");
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return speak ? app.exit(e) : 0;  // --help
    if (speak) std::fprintf(stderr, "train_mpi: error: %s\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    if (speak) std::fprintf(stderr, "train_mpi: error: %s\n", e.what());
    return 2;
  }
  // The data is the same file on every rank, so a bad file fails every rank alike.
  train::split_data parts;
  std::size_t rows = 0;
  try {
    if (data.empty()) data = train::find_default_data();
    const train::dataset all = train::load_csv(data);
    rows = all.rows();
    parts = train::split(all, test_fraction, split_seed);
    if (batch < 1 || static_cast<unsigned long long>(batch) > parts.train.rows())
      throw std::invalid_argument("--batch: " + std::to_string(batch) + " is not in 1.." +
                                  std::to_string(parts.train.rows()) + " (the training rows)");
  } catch (const std::exception& e) {
    if (speak) std::fprintf(stderr, "train_mpi: error: %s\n", e.what());
    return dynamic_cast<const std::invalid_argument*>(&e) != nullptr ? 2 : 1;
  }
  o.batch = static_cast<std::size_t>(batch);
  train::standardize(parts);

  const auto t0 = std::chrono::steady_clock::now();
  train::model m(parts.train.features, parts.train.classes);
  std::vector<double> losses;
  brigade::task_group on_the_pool;  // the loop on a worker, as in train
  on_the_pool.run([&] {
    losses = train::run_sgd(m, parts.train, o, [&](const train::model& cur, auto batch_rows) {
      return distributed_gradient(cur, parts.train, batch_rows);
    });
  });
  on_the_pool.wait();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!speak) return 0;
  const double acc = train::accuracy(m, parts.test);
  const std::size_t threads = brigade::pool::global().size();
  if (json) {
    std::cout << nlohmann::json{{"epochs", o.epochs},
                                {"batch", o.batch},
                                {"lr", o.lr},
                                {"loss", losses},
                                {"final_loss", losses.back()},
                                {"test_accuracy", acc},
                                {"seconds", seconds},
                                {"ranks", ctx.size()},
                                {"threads", threads},
                                {"train_rows", parts.train.rows()},
                                {"test_rows", parts.test.rows()}}
                     .dump()
              << "\n";
    return 0;
  }
  std::printf("%s: %zu rows; %zu to train, %zu to test\n", data.c_str(), rows, parts.train.rows(),
              parts.test.rows());
  for (std::size_t e = 0; e < losses.size(); ++e)
    std::printf("epoch %4zu  loss %.6f\n", e + 1, losses[e]);
  std::printf("test accuracy %.4f after %d epochs (batch %zu, lr %g)\n", acc, o.epochs, o.batch,
              o.lr);
  std::printf("%.3f s on %d ranks of %zu threads; final loss %.17g, train's bits\n", seconds,
              ctx.size(), threads, losses.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A rank that throws ends the whole job with "rank R: error: ..." (mpi::run).
  return mpi::run(argc, argv, [&](mpi::context& ctx) { return body(argc, argv, ctx); });
}
