// A small crossover map on the shipped model: gunicorn-flask against
// uvicorn-starlette, 4 client counts x 8 delays, 3 replications of 2000
// requests per point, level 2. Its runs per second, with the grid and the
// bisection both counted, scale to the full map (docs/crossover.md).
#include <benchmark/benchmark.h>

#include "sim/experiment/crossover.hpp"
#include "tests/support/shipped_inputs.hpp"

namespace stacksim {
namespace {

void BM_CrossoverMap(benchmark::State& state) {
  const Model model = testing::shipped_model();
  CrossoverSpec spec = testing::shipped_crossover(2000, 500, 3);
  spec.x = make_x_axis("--x", "clients", {10, 100, 200, 400});
  spec.y = make_y_axis("--y", "delay_ms", 0, 40, 8);
  spec.levels = {2.0};  // on this model async leads everywhere at level 1
  spec.threads = static_cast<unsigned>(state.range(0));
  std::size_t runs = 0;
  for (auto _ : state) {
    const CrossoverResult r = run_crossover(model, spec);
    runs += r.runs;
    benchmark::DoNotOptimize(r.cells.data());
  }
  state.counters["runs_per_s"] =
      benchmark::Counter(static_cast<double>(runs), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_CrossoverMap)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace stacksim
