// Uses the installed trace_tools component: records a small fork-join computation with
// brigade::trace, reads the file back and prints its work/span analysis, checking that work and
// span are what a join of two spins and a serial part must give.
#include <brigade/brigade.hpp>
#include <brigade/trace_tools/analysis.hpp>
#include <brigade/trace_tools/trace_file.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

namespace {

void spin_for(std::chrono::microseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: trace_consumer TRACE_FILE (written, then read back)\n");
    return 2;
  }
  const std::string path = argv[1];
  try {
    brigade::pool workers(2);
    brigade::trace::start();
    spin_for(std::chrono::milliseconds(2));  // serial: work and span
    workers.run([] {
      brigade::join([] { spin_for(std::chrono::milliseconds(2)); },
                    [] { spin_for(std::chrono::milliseconds(2)); });
    });
    brigade::trace::stop(path);

    const brigade::trace::trace_file t = brigade::trace::read_trace_file(path);
    const brigade::trace::analysis a = brigade::trace::analyse(t);
    std::printf("%s\n", brigade::trace::describe(a, t).c_str());
    // Work counts all three spins; the span the serial one and (at least) one branch.
    if (a.work_ns < 6'000'000 || a.span_ns < 4'000'000 || a.span_ns > a.work_ns) {
      std::fprintf(stderr, "trace consumer: unexpected work %lld ns, span %lld ns\n",
                   static_cast<long long>(a.work_ns), static_cast<long long>(a.span_ns));
      return 1;
    }
    std::printf("trace consumer ok: work %lld ns, span %lld ns, %zu segments\n",
                static_cast<long long>(a.work_ns), static_cast<long long>(a.span_ns),
                t.segments.size());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace consumer: %s\n", e.what());
    return 1;
  }
}
