// The README's tour of the parallel API, compiled and run as a test so the README stays true.
#include <brigade/brigade.hpp>

#include <cstdio>
#include <functional>
#include <vector>

long fib(int n) {  // fork-join: the second call may run on another worker
  if (n < 2) return n;
  auto [a, b] = brigade::join([&] { return fib(n - 1); }, [&] { return fib(n - 2); });
  return a + b;
}

int main() {
  std::vector<double> v(1'000'000);
  brigade::parallel_for(0, v.size(), [&](std::size_t i) { v[i] = 0.5 * static_cast<double>(i); });

  double sum = brigade::parallel_reduce(
      0, v.size(), 0.0,
      [&](std::size_t b, std::size_t e, double acc) {  // fold one piece serially
        for (std::size_t i = b; i < e; ++i) acc += v[i];
        return acc;
      },
      [](double x, double y) { return x + y; });  // join two neighbouring pieces

  brigade::parallel_sort(v, std::greater<>());  // ranges too: parallel_for(v, f), reduce, sort

  brigade::task_group tg;  // dynamic tasks, waited for together
  for (int k = 0; k < 4; ++k) tg.run([k] { std::printf("task %d\n", k); });
  tg.wait();  // rethrows the first exception a task threw

  brigade::pool four(4);  // a pool of your own, given last with the other options
  brigade::parallel_for(-4, 4, [](int) { /* on `four`, in pieces of 2 or more */ },
                        {.grain = 2, .pool = &four});

  std::printf("fib(25) = %ld, sum = %.1f\n", fib(25), sum);
}
