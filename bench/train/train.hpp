// The training workload of brigade_train_bench: examples/train's epoch loop with its batch
// gradient summed three ways — serially, by an OpenMP reduction, and by brigade's
// deterministic parallel_reduce.
#pragma once

#include "dataset.hpp"  // examples/train, through train_core
#include "harness/suite.hpp"
#include "model.hpp"
#include "sgd.hpp"

#include <cstddef>
#include <vector>

namespace bench::train {

/// One training run: the split digits, the SGD settings, brigade's grain.
struct problem {
  ::train::split_data data;
  ::train::sgd_options sgd;
  std::size_t grain = 16;  // as examples/train
};

/// Each trains a fresh model as examples/train does and returns the loss per epoch.
std::vector<double> train_serial(const problem& p);
std::vector<double> train_omp(const problem& p, int threads);
std::vector<double> train_brigade(const problem& p, int threads);

/// The workload: the digits at the example's settings (batch 64) and with the whole training
/// set as one batch. Fewer epochs with config.quick.
group make_digits(const config& c);

/// Starts brigade's pool for each thread count (brigade.cpp), so no timed run creates one.
void start_brigade(const std::vector<int>& threads);

}  // namespace bench::train
