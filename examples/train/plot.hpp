// The loss per epoch as a small SVG line chart (--plot loss.svg).
#pragma once

#include <string>
#include <vector>

namespace train {

/// An SVG picture of `losses` (one per epoch, at least one) against the epoch number.
std::string loss_svg(const std::vector<double>& losses);

}  // namespace train
