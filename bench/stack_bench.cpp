// Full-stack speed: simulated requests per second of wall time on one core,
// on the article's configuration (6 cores, 100 clients, 100 sessions, 20 ms)
// with the shipped estimates model, for one sync and one async stack.
#include <benchmark/benchmark.h>

#include "sim/experiment/run.hpp"
#include "sim/scenario/model_io.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim {
namespace {

void BM_ArticleStack(benchmark::State& state, const char* stack) {
  const Model model = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json");
  Scenario sc = load_scenario(std::string(STACKSIM_SOURCE_DIR) + "/scenarios/article.json");
  sc.requests = state.range(0);
  sc.warmup_requests = 1000;
  std::int64_t requests = 0;
  std::uint64_t events = 0;
  int replication = 0;
  for (auto _ : state) {
    const RunResult r = run_once(model, model.stacks.at(stack), sc, replication++);
    requests += sc.requests + sc.warmup_requests;
    events += r.events;
    benchmark::DoNotOptimize(r.throughput_rps);
  }
  state.counters["requests_per_s"] =
      benchmark::Counter(static_cast<double>(requests), benchmark::Counter::kIsRate);
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["events_per_request"] =
      static_cast<double>(events) / static_cast<double>(requests);
}

BENCHMARK_CAPTURE(BM_ArticleStack, gunicorn_flask, "gunicorn-flask")
    ->Arg(50'000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ArticleStack, uvicorn_starlette, "uvicorn-starlette")
    ->Arg(50'000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace stacksim
