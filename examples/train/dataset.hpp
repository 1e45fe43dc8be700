// The training data: rows of numbers ending in a class label, read from a CSV file that may be
// gzip-compressed (through zlib), and a train/test split with a fixed seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace train {

/// Rows of `features` numbers, each with a class label in [0, classes).
struct dataset {
  std::size_t features = 0;
  std::size_t classes = 0;
  std::vector<double> x;  // rows × features, row after row
  std::vector<int> y;     // one label per row

  std::size_t rows() const noexcept { return y.size(); }
  const double* row(std::size_t i) const noexcept { return x.data() + i * features; }
};

/// A file that cannot be read or parsed; what() is one line naming the file (and line).
class data_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Reads a CSV file, gzip-compressed or plain (zlib reads both): one row per line, every row
/// with the same number of fields (at least two), all of them finite numbers, the last one the
/// label, an integer in [0, 1000). `classes` is the largest label plus one.
/// Errors: data_error "path: ..." or "path:line: ..." for a missing, unreadable, truncated or
/// corrupt file, a row with the wrong number of fields, a field that is not a number.
dataset load_csv(const std::string& path);

/// Where Debian puts the handwritten digits (python3-sklearn), then where
/// `tools/install-deps.sh --tests` caches them, in the order they are tried.
std::vector<std::string> default_data_paths();

/// The first of default_data_paths() that exists. Errors: data_error naming them all.
std::string find_default_data();

struct split_data {
  dataset train;
  dataset test;
};

/// Shuffles the rows with a seeded Mersenne Twister (the same split with every compiler and
/// standard library) and puts round(rows × test_fraction) of them in `test`, the rest in `train`.
split_data split(const dataset& d, double test_fraction, std::uint64_t seed);

/// Standardizes every feature to mean 0 and variance 1 over the training rows, and applies the
/// same shift and scale to the test rows (a feature constant in training, such as a corner
/// pixel that is always blank, is only shifted).
void standardize(split_data& s);

/// Fisher–Yates with std::mt19937_64's raw output, so the order depends only on the seed.
void shuffle(std::vector<std::size_t>& order, std::mt19937_64& rng);

}  // namespace train
