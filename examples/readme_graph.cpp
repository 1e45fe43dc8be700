// The README's tour of task graphs and pipelines, compiled and run as a test.
#include <brigade/par/parallel_map.hpp>
#include <brigade/par/pipeline.hpp>
#include <brigade/par/task_graph.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

int main() {
  brigade::task_graph dinner("dinner");  // a recipe: built once, run as often as you like
  auto chop = dinner.add("chop", [] { std::puts("chop the onions"); });
  auto boil = dinner.add("boil", [] { std::puts("boil the water"); });
  auto sauce = dinner.add("sauce", [] { std::puts("make the sauce"); });
  auto pasta = dinner.add("pasta", [] { std::puts("cook the pasta"); });
  auto serve = dinner.add("serve", [] { std::puts("serve"); });
  chop.precede(sauce);                       // the sauce needs chopped onions
  boil.precede(pasta);                       // chop and boil may happen at the same time
  serve.succeed(sauce, pasta);               // serving waits for both
  dinner.run();                              // blocks; a pool worker would help instead
  std::fputs(dinner.dot().c_str(), stdout);  // pipe into `dot -Tsvg` to draw it

  int next = 0;  // orders in, plates out, never more than 4 in the kitchen at once
  brigade::pipeline kitchen(
      4, [&]() -> std::optional<int> { return next < 8 ? std::optional(next++) : std::nullopt; },
      brigade::stage(brigade::stage_mode::parallel,  // cooks work side by side
                     [](int order) { return "plate " + std::to_string(order); }),
      brigade::stage(brigade::stage_mode::serial_in_order,  // served in the order taken
                     [](const std::string& plate) { std::printf("%s served\n", plate.c_str()); }));
  kitchen.run();

  std::vector<int> guests{2, 4, 3};  // and the joblib habit: map in parallel, keep the order
  auto chairs = brigade::parallel_map(guests, [](int n) { return n + 1; });
  std::printf("chairs: %d %d %d\n", chairs[0], chairs[1], chairs[2]);
}
