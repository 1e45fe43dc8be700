// Reading the CSV (through zlib, so .csv.gz and .csv alike) and splitting it.
#include "dataset.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <utility>

namespace train {
namespace {

// The whole file, decompressed. A truncated or corrupt gzip stream is an error, not a short read.
std::string read_all(const std::string& path) {
  errno = 0;
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr)
    throw data_error(path +
                     ": cannot open: " + (errno != 0 ? std::strerror(errno) : "out of memory"));
  std::string text;
  char buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  int code = Z_OK;
  std::string why = gzerror(f, &code);
  if (code == Z_ERRNO) why = std::strerror(errno);
  if (why.starts_with(path + ": ")) why.erase(0, path.size() + 2);  // zlib names the file too
  const int closed = gzclose_r(f);
  if (n < 0 || code != Z_OK || closed != Z_OK)
    throw data_error(path + ": cannot read: " + (why.empty() ? "corrupt gzip data" : why));
  return text;
}

std::string shown(std::string_view field) {
  std::string s(field.substr(0, 40));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return "'" + s + (field.size() > 40 ? "...'" : "'");
}

double number(std::string_view field, const std::string& where) {
  double v = 0;
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v))
    throw data_error(where + "not a number: " + shown(field));
  return v;
}

}  // namespace

dataset load_csv(const std::string& path) {
  const std::string text = read_all(path);
  dataset d;
  std::size_t fields_per_row = 0;
  std::size_t line_no = 0;
  std::vector<std::string_view> fields;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t nl = std::min(text.find('\n', at), text.size());
    std::string_view line(text.data() + at, nl - at);
    at = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string where = path + ":" + std::to_string(line_no) + ": ";
    fields.clear();
    for (std::size_t b = 0;;) {
      const std::size_t comma = std::min(line.find(',', b), line.size());
      fields.push_back(line.substr(b, comma - b));
      if (comma == line.size()) break;
      b = comma + 1;
    }
    if (line_no == 1) {
      if (fields.size() < 2)
        throw data_error(where + std::to_string(fields.size()) +
                         " field(s); a row needs at least one feature and a label");
      fields_per_row = fields.size();
      d.features = fields_per_row - 1;
    } else if (fields.size() != fields_per_row) {
      throw data_error(where + std::to_string(fields.size()) + " fields, expected " +
                       std::to_string(fields_per_row) + " (as on line 1)");
    }
    for (std::size_t i = 0; i < d.features; ++i) d.x.push_back(number(fields[i], where));
    const double label = number(fields.back(), where);
    if (label < 0 || label >= 1000 || label != std::floor(label))
      throw data_error(where + "label " + shown(fields.back()) +
                       " is not a class number (an integer in 0..999)");
    d.y.push_back(static_cast<int>(label));
    d.classes = std::max(d.classes, static_cast<std::size_t>(label) + 1);
  }
  if (d.rows() == 0) throw data_error(path + ": no rows");
  return d;
}

std::vector<std::string> default_data_paths() {
  return {"/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz",
          "/usr/share/python3-sklearn/datasets/data/digits.csv.gz",  // in case Debian moves it
          "/var/cache/brigade/digits.csv.gz"};  // tools/install-deps.sh --tests
}

std::string find_default_data() {
  std::string tried;
  for (const std::string& p : default_data_paths()) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(p, ec)) return p;
    tried += (tried.empty() ? "" : ", ") + p;
  }
  throw data_error("digits.csv.gz not found (tried " + tried +
                   "): run tools/install-deps.sh --tests, or give --data FILE");
}

void shuffle(std::vector<std::size_t>& order, std::mt19937_64& rng) {
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
}

split_data split(const dataset& d, double test_fraction, std::uint64_t seed) {
  std::vector<std::size_t> order(d.rows());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  shuffle(order, rng);
  const auto tests =
      static_cast<std::size_t>(std::lround(static_cast<double>(d.rows()) * test_fraction));
  split_data s;
  for (dataset* part : {&s.train, &s.test}) {
    part->features = d.features;
    part->classes = d.classes;
  }
  for (std::size_t k = 0; k < order.size(); ++k) {
    dataset& part = k < tests ? s.test : s.train;
    part.x.insert(part.x.end(), d.row(order[k]), d.row(order[k]) + d.features);
    part.y.push_back(d.y[order[k]]);
  }
  return s;
}

void standardize(split_data& s) {
  const std::size_t n = s.train.rows(), k = s.train.features;
  std::vector<double> mean(k, 0.0), sd(k, 0.0);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t f = 0; f < k; ++f) mean[f] += s.train.row(r)[f] / static_cast<double>(n);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t f = 0; f < k; ++f) {
      const double dev = s.train.row(r)[f] - mean[f];
      sd[f] += dev * dev / static_cast<double>(n);
    }
  for (double& v : sd) v = v > 0 ? std::sqrt(v) : 1.0;
  for (dataset* part : {&s.train, &s.test})
    for (std::size_t i = 0; i < part->x.size(); ++i)
      part->x[i] = (part->x[i] - mean[i % k]) / sd[i % k];
}

}  // namespace train
