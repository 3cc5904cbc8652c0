// Engine speed on the reference model: a closed M/M/6 (N = 100,
// exponential 1 ms, no think time) built directly from Simulator + Pool,
// as a hand-written model would use them. Counters: station completions per
// second, and events per second counted as the issue does (an arrival and a
// completion per service, so 2 per completion), next to the engine's own
// event count (one scheduled completion per service: arrivals are calls).
// Also a processor-sharing host with n always-busy processes.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "sim/analysis/closed_network.hpp"
#include "sim/analysis/network_simulation.hpp"
#include "sim/engine/distribution.hpp"
#include "sim/engine/event.hpp"
#include "sim/engine/rng.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/resources/cpu_host.hpp"
#include "sim/resources/pool.hpp"

namespace stacksim {
namespace {

// N jobs cycle through one FCFS station with c servers: acquire a unit
// (or queue FIFO), hold it for an exponential service, release it (pull
// hand-off to the longest waiter), come straight back.
class ClosedMmc final : public EventHandler {
 public:
  ClosedMmc(int customers, int servers, double service_ms)
      : pool_(servers, /*lazy=*/false),
        service_(Distribution::exponential(service_ms * 1e6)),
        rng_(1, "bench.mmc", 0),
        unit_(customers, -1),
        granted_(*this) {
    for (int j = 0; j < customers; ++j) arrive(static_cast<std::uint64_t>(j));
  }

  // Runs until `completions` more services have completed.
  void run(std::uint64_t completions) {
    stop_at_ = completions_ + completions;
    sim_.run();
  }
  std::uint64_t completions() const { return completions_; }
  std::uint64_t events() const { return sim_.events_processed(); }

  void on_event(std::uint64_t job) override {  // service completion
    pool_.release(unit_[job]);
    if (++completions_ >= stop_at_) sim_.stop();
    arrive(job);
  }

 private:
  struct Granted final : EventHandler {
    explicit Granted(ClosedMmc& m) : model(m) {}
    void on_event(std::uint64_t job) override { model.start(job); }
    ClosedMmc& model;
  };

  void arrive(std::uint64_t job) {
    const Pool::Grant g = pool_.acquire(Continuation{&granted_, job}, &unit_[job]);
    if (g.unit >= 0) {
      unit_[job] = g.unit;
      start(job);
    }
  }
  void start(std::uint64_t job) {
    sim_.schedule_in(static_cast<SimTime>(std::llround(service_.sample(rng_))), *this, job);
  }

  Simulator sim_;
  Pool pool_;
  Distribution service_;
  Rng rng_;
  std::vector<int> unit_;
  Granted granted_;
  std::uint64_t completions_ = 0;
  std::uint64_t stop_at_ = 0;
};

void BM_ClosedMM6(benchmark::State& state) {
  ClosedMmc model(100, 6, 1.0);
  model.run(100'000);  // warm-up: every queue and vector at its working size
  const std::uint64_t c0 = model.completions(), e0 = model.events();
  for (auto _ : state) model.run(1'000'000);
  const double completions = static_cast<double>(model.completions() - c0);
  state.counters["completions_per_s"] =
      benchmark::Counter(completions, benchmark::Counter::kIsRate);
  state.counters["events_per_s"] =
      benchmark::Counter(2.0 * completions, benchmark::Counter::kIsRate);
  state.counters["engine_events_per_s"] =
      benchmark::Counter(static_cast<double>(model.events() - e0), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ClosedMM6)->Unit(benchmark::kMillisecond);

// n single-threaded processes on a host, each always runnable: a burst
// (exponential, mean 1 ms) is followed at once by the next. Every
// completion changes the PS rate, so this exercises the virtual clock,
// the in-service heap and the cancel-and-reschedule of the host's event.
class BusyHost final : public EventHandler {
 public:
  BusyHost(int processes, int cores)
      : host_(sim_, cores), burst_(Distribution::exponential(1e6)), rng_(1, "bench.ps", 0) {
    for (int i = 0; i < processes; ++i) {
      procs_.push_back(host_.add_process("p" + std::to_string(i)));
      submit(static_cast<std::uint64_t>(i));
    }
  }
  void run(std::uint64_t completions) {
    stop_at_ = completions_ + completions;
    sim_.run();
  }
  std::uint64_t completions() const { return completions_; }
  std::uint64_t events() const { return sim_.events_processed(); }
  void on_event(std::uint64_t i) override {
    if (++completions_ >= stop_at_) sim_.stop();
    submit(i);
  }

 private:
  void submit(std::uint64_t i) {
    host_.submit(procs_[i], static_cast<SimTime>(std::llround(burst_.sample(rng_))),
                 Continuation{this, i});
  }
  Simulator sim_;
  CpuHost host_;
  Distribution burst_;
  Rng rng_;
  std::vector<ProcessId> procs_;
  std::uint64_t completions_ = 0;
  std::uint64_t stop_at_ = 0;
};

void BM_PsHost(benchmark::State& state) {
  BusyHost model(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  model.run(50'000);
  const std::uint64_t c0 = model.completions(), e0 = model.events();
  for (auto _ : state) model.run(500'000);
  state.counters["completions_per_s"] = benchmark::Counter(
      static_cast<double>(model.completions() - c0), benchmark::Counter::kIsRate);
  state.counters["engine_events_per_s"] =
      benchmark::Counter(static_cast<double>(model.events() - e0), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PsHost)
    ->ArgNames({"processes", "cores"})
    ->Args({1, 1})
    ->Args({10, 1})
    ->Args({100, 6})
    ->Args({1000, 6})
    ->Unit(benchmark::kMillisecond);

// The same M/M/6 through `stacksim qn`'s simulator (analysis/), which adds
// per-station accounting (sojourns, time-weighted populations): the price
// of the measurements on top of the bare engine.
void BM_QnSimulatorMM6(benchmark::State& state) {
  analysis::ClosedNetwork net;
  net.customers = 100;
  analysis::Station s;
  s.name = "servers";
  s.kind = analysis::StationKind::kFcfs;
  s.servers = 6;
  s.service_ms = 1.0;
  net.stations.push_back(s);
  analysis::SimulationOptions opt;
  opt.replications = 1;
  opt.jobs = 1'000'000;
  opt.warmup_jobs = 0;
  double completions = 0;
  for (auto _ : state) {
    const auto r = analysis::simulate_network(net, opt);
    completions += static_cast<double>(r.station_completions);
  }
  state.counters["completions_per_s"] =
      benchmark::Counter(completions, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_QnSimulatorMM6)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace stacksim
