// Fuzzes brigade::trace's reader (src/trace_tools/trace_reader.cpp) on arbitrary bytes as the
// text of a trace file, then analyse() on whatever it accepted.
// Checks: no crash, leak, UB, hang or unbounded memory; the only way out besides success is an
// exception derived from std::exception (trace_error for text that is not a brigade trace, or
// for an inconsistent one). Anything else thrown escapes and libFuzzer reports it.
#include <brigade/trace_tools/analysis.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  namespace tr = brigade::trace;
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  try {
    const tr::trace_file t = tr::parse_trace_file(text, "fuzz.json");
    for (std::uint32_t lane = 0; lane < t.lanes.size(); ++lane) (void)tr::lane_title(t, lane);
    (void)tr::analyse(t);
  } catch (const tr::trace_error&) {
  } catch (const std::exception&) {
  }
  return 0;
}
