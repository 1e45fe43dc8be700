// train: a softmax regression learns the handwritten digits by mini-batch SGD, each batch's
// gradient summed on the pool by a deterministic parallel_reduce (same bits at any thread count).
#include "dataset.hpp"
#include "model.hpp"
#include "plot.hpp"
#include "sgd.hpp"

#include <brigade/pool/pool.hpp>
#include <brigade/pool/task_group.hpp>
#include <brigade/trace/trace.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>

namespace {

constexpr std::size_t grain = 16;         // samples per leaf: with the batch, fixes the sum's tree
constexpr double test_fraction = 0.25;    // as scikit-learn's train_test_split
constexpr std::uint64_t split_seed = 42;  // the same split on every run

void print_error(std::string line) {
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::fprintf(stderr, "train: error: %s\n", line.c_str());
}

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Opens an output file before the work, so that a bad path fails at once, not after training.
void check_writable(const char* flag, const std::string& path) {
  if (!path.empty() && !std::ofstream(path, std::ios::app))
    throw std::runtime_error(std::string(flag) + ": " + path + " cannot be written");
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw std::runtime_error(path + ": cannot be written");
}

}  // namespace

int main(int argc, char** argv) {
  std::string data, plot, trace;
  train::sgd_options o;
  long long batch = static_cast<long long>(o.batch);  // signed: -3 is refused, not wrapped
  bool json = false;
  CLI::App app{"train: softmax regression on the handwritten digits, data-parallel SGD", "train"};
  app.add_option("--data", data,
                 "CSV file, gzip'ed or plain: features..., label (default: "
                 "python3-sklearn's digits.csv.gz)");
  app.add_option("--epochs", o.epochs, "passes over the training rows")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--batch", batch, "rows per SGD step")->capture_default_str();
  app.add_option("--lr", o.lr, "learning rate, in (0, 100]")->capture_default_str();
  app.add_option("--plot", plot, "write the loss per epoch as an SVG chart to FILE");
  app.add_option("--trace", trace, "record a brigade trace of the training into FILE");
  app.add_flag("--json", json, "print one JSON object instead of the summary");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    print_error(e.what());
    return 2;
  }
  if (!(std::isfinite(o.lr) && o.lr > 0 && o.lr <= 100)) {
    print_error("--lr: " + number(o.lr) + " is not in (0, 100]");
    return 2;
  }
  try {
    check_writable("--plot", plot);
    check_writable("--trace", trace);
    if (data.empty()) data = train::find_default_data();
    const train::dataset all = train::load_csv(data);
    train::split_data parts = train::split(all, test_fraction, split_seed);
    if (batch < 1 || static_cast<unsigned long long>(batch) > parts.train.rows())
      throw std::invalid_argument("--batch: " + std::to_string(batch) + " is not in 1.." +
                                  std::to_string(parts.train.rows()) + " (the training rows)");
    o.batch = static_cast<std::size_t>(batch);
    train::standardize(parts);  // by what training saw; the test rows alike

    if (!trace.empty()) brigade::trace::start();
    const auto t0 = std::chrono::steady_clock::now();
    train::model m(all.features, all.classes);
    // The loop runs on a worker of the pool, so each batch forks from there: called from main,
    // every batch would wake the pool from outside and sleep until it is done.
    std::vector<double> losses;
    brigade::task_group on_the_pool;
    on_the_pool.run([&] {
      losses = train::run_sgd(m, parts.train, o, [&](const train::model& cur, auto rows) {
        return train::batch_gradient(cur, parts.train, rows, grain);
      });
    });
    on_the_pool.wait();
    const double acc = train::accuracy(m, parts.test);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!trace.empty()) brigade::trace::stop(trace);
    if (!plot.empty()) write_file(plot, train::loss_svg(losses));

    const std::size_t threads = brigade::pool::global().size();
    if (json) {
      std::cout << nlohmann::json{{"epochs", o.epochs},
                                  {"batch", o.batch},
                                  {"lr", o.lr},
                                  {"loss", losses},
                                  {"final_loss", losses.back()},
                                  {"test_accuracy", acc},
                                  {"seconds", seconds},
                                  {"threads", threads},
                                  {"train_rows", parts.train.rows()},
                                  {"test_rows", parts.test.rows()}}
                       .dump()
                << "\n";
    } else {
      std::printf("%s: %zu rows of %zu features, %zu classes; %zu to train, %zu to test\n",
                  data.c_str(), all.rows(), all.features, all.classes, parts.train.rows(),
                  parts.test.rows());
      for (std::size_t e = 0; e < losses.size(); ++e)
        std::printf("epoch %4zu  loss %.6f\n", e + 1, losses[e]);
      std::printf("test accuracy %.4f after %d epochs (batch %zu, lr %g)\n", acc, o.epochs, o.batch,
                  o.lr);
      std::printf("%.3f s on %zu threads; final loss %.17g, the same bits at any thread count\n",
                  seconds, threads, losses.back());
    }
  } catch (const std::invalid_argument& e) {  // a bad setting, found once the data was read
    print_error(e.what());
    return 2;
  } catch (const std::exception& e) {
    print_error(e.what());
    return 1;
  }
  std::cout.flush();
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    print_error("cannot write to standard output");
    return 1;
  }
  return 0;
}
