// Reading `brigade trace --what-if LABEL=FACTOR`, apart from the command so that the fuzz target
// of the command line's arguments reaches it without a trace file.
#pragma once

#include <brigade/trace_tools/predict.hpp>

#include <string>

namespace brigade::cli {

/// "decode=0.5" -> {"decode", 0.5}: the label is everything before the last '=' (it may contain
/// '=' itself) and must not be empty; the factor is a finite number >= 0, the whole rest.
/// Errors: std::runtime_error naming --what-if and the text.
trace::what_if parse_what_if(const std::string& text);

}  // namespace brigade::cli
