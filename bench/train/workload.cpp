// The digits workload: the same training run three ways, each checked against the serial loss,
// and brigade's loss against its own at one thread, bit for bit.
#include "train/train.hpp"

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

namespace bench::train {
namespace {

// What the last run of each implementation left, and whether its final loss has had the same
// bits as at one thread on every run so far.
struct outcome {
  int threads = 1;
  double loss = 0;
};
using same_bits_map = std::map<std::tuple<std::string, std::string, int>, bool>;

series make_series(std::shared_ptr<const problem> p, const std::string& name,
                   std::shared_ptr<same_bits_map> same) {
  const double serial_ref = train_serial(*p).back();
  const std::map<std::string, double> one_thread = {{"omp", train_omp(*p, 1).back()},
                                                    {"brigade", train_brigade(*p, 1).back()}};
  auto last = std::make_shared<std::map<std::string, outcome>>();

  series s;
  s.name = name;
  s.input = std::to_string(p->data.train.rows()) + " digits, " + std::to_string(p->sgd.epochs) +
            " epochs of batches of " + std::to_string(p->sgd.batch) + ", lr " +
            std::to_string(p->sgd.lr).substr(0, 4) + "; brigade grain " + std::to_string(p->grain);
  auto check = [=](const std::string& impl) {
    return [=]() -> std::string {
      const outcome& o = (*last)[impl];
      if (std::fabs(o.loss - serial_ref) > 1e-9 * std::fabs(serial_ref))
        return impl + ": final loss " + std::to_string(o.loss) + ", serial's " +
               std::to_string(serial_ref);
      if (impl == "serial") return "";
      const bool bits = o.loss == one_thread.at(impl);
      auto [it, fresh] = same->try_emplace({name, impl, o.threads}, bits);
      if (!fresh) it->second = it->second && bits;
      if (impl == "brigade" && !bits)
        return "brigade's final loss differs from its own at one thread";
      return "";
    };
  };
  s.impls.push_back({"brigade",
                     [=](int t) {
                       (*last)["brigade"] = {t, train_brigade(*p, t).back()};
                     },
                     {},
                     check("brigade")});
  s.impls.push_back({"omp",
                     [=](int t) {
                       (*last)["omp"] = {t, train_omp(*p, t).back()};
                     },
                     {},
                     check("omp")});
  s.impls.push_back({"serial",
                     [=](int) {
                       (*last)["serial"] = {1, train_serial(*p).back()};
                     },
                     {},
                     check("serial")});
  return s;
}

}  // namespace

group make_digits(const config& c) {
  auto base = std::make_shared<problem>();
  base->data = ::train::split(::train::load_csv(::train::find_default_data()), 0.25, 42);
  ::train::standardize(base->data);
  base->sgd.epochs = c.quick ? 5 : 50;

  group g;
  std::map<std::string, std::shared_ptr<const problem>> problems;
  auto same = std::make_shared<same_bits_map>();
  for (const std::size_t batch : {std::size_t{64}, base->data.train.rows()}) {
    auto p = std::make_shared<problem>(*base);
    p->sgd.batch = batch;
    const std::string name = batch == 64 ? "digits_batch64" : "digits_full_batch";
    problems[name] = p;
    g.all.push_back(make_series(p, name, same));
  }
  g.annotate = [problems, same](std::vector<result>& results) {
    for (result& r : results) {
      const problem& p = *problems.at(r.workload);
      const std::size_t rows = p.data.train.rows();
      const double batches = static_cast<double>(p.sgd.epochs) *
                             static_cast<double>((rows + p.sgd.batch - 1) / p.sgd.batch);
      r.extra.push_back({"us_per_batch", r.median / batches * 1e6});
      // 1: every run's final loss had the same bits as the same implementation at one thread.
      if (const auto it = same->find({r.workload, r.impl, r.threads}); it != same->end())
        r.extra.push_back({"same_bits_as_1t", it->second ? 1.0 : 0.0});
    }
  };
  return g;
}

}  // namespace bench::train
