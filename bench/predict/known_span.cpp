// A program whose work and span are known in advance, for bench/predict/run_predict.sh.
//
// 100 ms of serial work, then a parallel_for of 16 iterations of 20 ms (grain 1), then a join of
// two 50 ms branches on the pool: work 100 + 16*20 + 2*50 = 520 ms, span 100 + 20 + 50 = 170 ms.
// A greedy schedule on P workers takes 100 + ceil(16/P)*20 + (P > 1 ? 50 : 100) ms: 310 ms on 2,
// 230 on 4, 190 on 8, 170 on 16. The "work" is sleeping, on purpose: its durations do not
// depend on the CPU, the caches or other processes, so the predictor's inputs are exact and
// any miss is the runtime's or the predictor's. (Sleeping in a worker starves the pool in real
// code; see docs/pitfalls.md.)
#include <brigade/par/parallel_for.hpp>
#include <brigade/pool/join.hpp>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <thread>

namespace {

void work_for(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

}  // namespace

int main() {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  work_for(100);
  brigade::parallel_for(std::size_t{0}, std::size_t{16}, [](std::size_t) { work_for(20); },
                        {.grain = 1});
  brigade::join([] { work_for(50); }, [] { work_for(50); });
  const double ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  std::printf("known_span: work 520 ms, span 170 ms; took %.1f ms\n", ms);
  return 0;
}
