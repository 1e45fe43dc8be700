// Small pieces the trace readers share: overflow-safe time arithmetic, and the labels of a
// trace ranked by the time spent in them (the order of every legend, terminal or HTML).
#pragma once

#include <brigade/trace_tools/trace_file.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace brigade::trace::detail {

/// a + b, saturating instead of overflowing: a hand-made trace may hold absurd times.
inline std::int64_t add(std::int64_t a, std::int64_t b) noexcept {
  return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/// A stretch's length, 0 if it ends before it begins, never overflowing.
inline std::int64_t length(std::int64_t begin, std::int64_t end) noexcept {
  if (end <= begin) return 0;
  const std::uint64_t d = static_cast<std::uint64_t>(end) - static_cast<std::uint64_t>(begin);
  return static_cast<std::int64_t>(std::min<std::uint64_t>(d, INT64_MAX));
}

/// Time and segment count per label, and the labels used, busiest first (ties: label order).
struct label_ranking {
  std::vector<std::int64_t> total;  // indexed by label
  std::vector<std::size_t> count;   // indexed by label
  std::vector<std::uint32_t> order;
};

inline label_ranking rank_labels(const trace_file& t) {
  label_ranking r;
  const auto labels = static_cast<std::uint32_t>(t.labels.size());
  r.total.assign(labels, 0);
  r.count.assign(labels, 0);
  for (const trace_segment& s : t.segments) {
    if (s.label >= labels) continue;
    r.total[s.label] = add(r.total[s.label], length(s.begin_ns, s.end_ns));
    ++r.count[s.label];
  }
  for (std::uint32_t i = 0; i < labels; ++i)
    if (r.count[i] > 0) r.order.push_back(i);
  std::stable_sort(r.order.begin(), r.order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return r.total[a] > r.total[b]; });
  return r;
}

}  // namespace brigade::trace::detail
