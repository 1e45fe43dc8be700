// brigade::trace::html_page — a recorded trace as one self-contained HTML page.
//
// The page holds an inline SVG timeline (one lane per thread, one rectangle per segment, idle
// and lock waits drawn apart, the critical path outlined), the analysis and a legend. The wheel
// zooms around the pointer, the +/- buttons around the middle, dragging pans, and hovering a
// rectangle shows its label and duration. It loads nothing from anywhere: no scripts, fonts or
// styles from the network.
#pragma once

#include <brigade/trace_tools/analysis.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <string>

namespace brigade::trace {

/// What the page is called.
struct html_options {
  std::string title = "brigade trace";
};

/// The page for trace t and its analysis a (a = analyse(t)).
/// Thread safety: reads t and a only. Complexity: linear in the trace's events.
std::string html_page(const trace_file& t, const analysis& a, const html_options& options = {});

}  // namespace brigade::trace
