// The speedup curve of `brigade scale` as an SVG picture.
#pragma once

#include "scale_math.hpp"

#include <string>

namespace brigade::cli {

/// An SVG plot of speedup against threads: the measured points, Amdahl's law with the fitted
/// serial fraction (up to 4× the largest thread count measured) and ideal speedup.
/// `title` is shown on top (escaped with trace::escape_markup, as every page brigade writes).
/// `axis` names the x axis: "threads", or "ranks" for `scale --ranks`.
std::string speedup_svg(const scaling& s, const std::string& title,
                        const std::string& axis = "threads");

}  // namespace brigade::cli
