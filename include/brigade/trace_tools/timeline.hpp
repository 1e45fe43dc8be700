// brigade::trace::draw_timeline — a recorded trace drawn in the terminal, one lane per thread.
//
//   main     │██▓▓                            ▓▓│
//   worker 0 │  ████████████▒▒▒▒▒▒▒▒▒▒▒▒······  │
//   worker 1 │  ░░░░░░░░░░░░░░░░░░░░░░░████████ │
//
// Time runs left to right over the whole recording; each column shows what took most of its
// time on that lane: a task (one glyph or colour per label, listed in the legend), parked
// ('·'), waiting for I/O ('~'), waiting for a lock ('x'), waiting for communication ('≈'), or
// nothing recorded (' ').
#pragma once

#include <brigade/trace_tools/trace_file.hpp>

#include <string>

namespace brigade::trace {

/// How to draw a timeline.
struct timeline_options {
  unsigned width = 100;  // columns of the whole drawing, lane names included (at least 20)
  bool color = false;    // ANSI colours per label instead of distinct glyphs
  bool legend = true;    // the glyph of each label, with its total time and task count
};

/// Draws t: one line per lane, a time axis, then the legend. Every line fits options.width
/// columns (UTF-8 block characters count one column each; colour escapes count none).
///
/// Errors: std::invalid_argument when options.width < 20.
/// Thread safety: reads t only.
std::string draw_timeline(const trace_file& t, const timeline_options& options = {});

/// The width to draw for the terminal on file descriptor fd: its size (TIOCGWINSZ) when fd is a
/// terminal, else $COLUMNS when it holds a number, else 100; never less than 20.
/// Thread safety: reads the environment (do not call while another thread calls setenv).
unsigned terminal_width(int fd = 1) noexcept;

}  // namespace brigade::trace
