// A small crossover map on the shipped model: gunicorn-flask against
// uvicorn-starlette, 4 client counts x 8 delays, 3 replications of 2000
// requests per point, level 2. Its runs per second, with the grid and the
// bisection both counted, scale to the full map (docs/crossover.md).
#include <benchmark/benchmark.h>

#include "sim/experiment/crossover.hpp"
#include "sim/scenario/model_io.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim {
namespace {

void BM_CrossoverMap(benchmark::State& state) {
  const Model model = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/this-machine.json");
  CrossoverSpec spec;
  spec.scenario = load_scenario(std::string(STACKSIM_SOURCE_DIR) + "/scenarios/this-machine.json");
  spec.scenario.requests = 2000;
  spec.scenario.warmup_requests = 500;
  spec.scenario.replications = 3;
  spec.sync_side = {"gunicorn-flask"};
  spec.async_side = {"uvicorn-starlette"};
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
