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
#include <string_view>

namespace brigade::trace {

/// What the page is called.
struct html_options {
  std::string title = "brigade trace";
};

/// The page for trace t and its analysis a (a = analyse(t)).
/// Thread safety: reads t and a only. Complexity: linear in the trace's events.
std::string html_page(const trace_file& t, const analysis& a, const html_options& options = {});

/// text made safe inside HTML or SVG (element text or a quoted attribute): the one escape of
/// every page and picture brigade writes. Control characters and bytes that are not UTF-8 are
/// first written out as a terminal shows them ("\x1b", as trace text is everywhere), then
/// & < > " ' become entities. With keep_newlines, '\n' passes (for a <pre> block).
/// Thread safety: a pure function.
std::string escape_markup(std::string_view text, bool keep_newlines = false);

}  // namespace brigade::trace
