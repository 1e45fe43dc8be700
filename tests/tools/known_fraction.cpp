// A brigade program with a known serial fraction, for `brigade scale`: 200 ms serial, then 8
// pieces of 100 ms each on the pool (BRIGADE_THREADS workers), so T(p) = 0.2 + 0.8 / p seconds
// for p dividing 8 and Amdahl's serial fraction is 0.2. The pieces wait instead of computing,
// so the times hold on a busy machine too (the test checks the analysis, not the cores).
#include <brigade/par/parallel_for.hpp>

#include <chrono>
#include <thread>

int main() {
  using namespace std::chrono_literals;
  std::this_thread::sleep_for(200ms);  // the serial part
  brigade::parallel_for(0, 8, [](std::size_t) { std::this_thread::sleep_for(100ms); },
                        {.grain = 1});
}
