// Speed of the metrics layer: LatencyHistogram::record() is on the path of
// every simulated request (several times, once per phase), so it must cost a
// few ns. Values are drawn before timing so the generator is not measured.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "sim/engine/distribution.hpp"
#include "sim/engine/rng.hpp"
#include "sim/metrics/latency_histogram.hpp"
#include "sim/metrics/time_weighted.hpp"

namespace {

using stacksim::SimTime;

// 4096 lognormal latencies around 20 ms with cv 1: a realistic spread over
// many buckets, small enough to stay in L1/L2 beside the histogram.
std::vector<SimTime> latencies_ns() {
  stacksim::Rng rng(1, "bench.metrics", 0);
  const stacksim::Distribution d(stacksim::Shape::kLognormal, 20e6, 1.0);
  std::vector<SimTime> v(4096);
  for (auto& x : v) x = std::llround(d.sample(rng));
  return v;
}

void BM_LatencyHistogramRecord(benchmark::State& state) {
  const auto values = latencies_ns();
  stacksim::LatencyHistogram h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(values[i]);
    i = (i + 1) & (values.size() - 1);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LatencyHistogramRecord);

void BM_LatencyHistogramQuantile(benchmark::State& state) {
  const auto values = latencies_ns();
  stacksim::LatencyHistogram h;
  for (SimTime v : values) h.record(v);
  for (auto _ : state) benchmark::DoNotOptimize(h.quantile_ns(0.99));
}
BENCHMARK(BM_LatencyHistogramQuantile);

void BM_LatencyHistogramMerge(benchmark::State& state) {
  const auto values = latencies_ns();
  stacksim::LatencyHistogram a, b;
  for (SimTime v : values) b.record(v);
  for (auto _ : state) {
    a.merge(b);
    benchmark::DoNotOptimize(a.count());
  }
}
BENCHMARK(BM_LatencyHistogramMerge);

void BM_TimeWeightedAdd(benchmark::State& state) {
  stacksim::TimeWeighted q;
  SimTime now_ns = 0;
  double delta = 1.0;
  for (auto _ : state) {
    now_ns += 100;
    q.add(now_ns, delta);
    delta = -delta;
  }
  benchmark::DoNotOptimize(q.average(now_ns));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimeWeightedAdd);

}  // namespace
