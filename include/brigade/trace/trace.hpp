// brigade::trace — record what really ran on which thread, and when.
//
//   BRIGADE_TRACE=run.json ./my_program      // any brigade program: written at exit
//   brigade::trace::start(); ...; brigade::trace::stop("run.json");   // or in code
//   brigade trace run.json                   // draw and analyse it (the command line)
//
// The file is Chrome Trace Event JSON: it opens in Perfetto (ui.perfetto.dev) and
// chrome://tracing, and carries brigade's fork/join edges so `brigade trace` can compute work,
// span and parallelism exactly as Cilkview does.
#pragma once

#include <brigade/core/detail/trace_hooks.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace brigade::trace {

/// Starts recording (clears what an earlier recording left). The calling thread becomes the
/// root strand: its own computation until the first parallel region counts as work and span.
/// Errors: std::logic_error when brigade was built with BRIGADE_ENABLE_TRACING=OFF.
void start();

/// Stops recording and writes the trace to path. Returns the number of events written.
/// std::system_error if the file cannot be written; std::logic_error if not recording.
std::size_t stop(const std::string& path);

/// Whether recording is on.
inline bool enabled() noexcept {
  return detail::tracing::on();
}

/// Events lost so far because a thread's buffer was full (also written into the file).
std::uint64_t dropped();

/// A stable copy of label for the lifetime of the process (labels must outlive the trace).
const char* intern(std::string_view label);

/// Wraps f so that, while it runs, the trace shows `label` on its segments:
/// `brigade::join(trace::named("chop onions", chop), trace::named("stir", stir))`.
/// label must live as long as the program (a string literal, or intern()).
template <class F>
auto named(const char* label, F&& f) {
  return [label, fn = std::forward<F>(f)]() mutable -> std::invoke_result_t<std::decay_t<F>&> {
    const char* outer = detail::tracing::set_current_label(label);
    struct restore {
      const char* outer;
      ~restore() { detail::tracing::set_current_label(outer); }
    } r{outer};
    if (detail::tracing::on()) {
      // Give the label its own segment, so the trace shows where it starts.
      const std::uint64_t before = detail::tracing::end_segment();
      detail::tracing::begin_segment(label, before);
    }
    return fn();
  };
}

}  // namespace brigade::trace
