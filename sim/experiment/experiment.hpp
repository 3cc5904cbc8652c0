// An experiment: every configuration of a scenario (its sweep expanded),
// every stack, every replication — independent runs spread over the cores.
// Each run's seed depends only on the scenario and its replication index, so
// the results are the same bits whatever the thread count or order.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/progress.hpp"
#include "sim/experiment/run.hpp"
#include "sim/experiment/sequential.hpp"
#include "sim/metrics/replication_stats.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim {

// One point of a sweep: the scenario with the sweep's values applied, and
// those values, for labels ("clients=400 delay_ms=40").
struct Configuration {
  Scenario scenario;
  std::vector<std::pair<std::string, std::string>> settings;
  std::string label() const;
};

std::vector<Configuration> expand_sweep(const Scenario& scenario);

struct StackResult {
  std::string stack;
  WorkerType type = WorkerType::kSync;
  int workers = 0;
  std::vector<RunResult> replications;
  // Under sequential stopping: whether the throughput's 95% half-width met
  // the precision within the replications it ran; absent otherwise.
  std::optional<bool> precision_met;

  // Summaries over replications of a figure of RunResult.
  template <class Getter>
  Summary summary(Getter get) const {
    ReplicationStats s;
    for (const RunResult& r : replications) s.add(get(r));
    return s.summary();
  }
  double mean(double RunResult::*field) const {
    return summary([field](const RunResult& r) { return r.*field; }).mean;
  }
};

struct ConfigurationResult {
  Configuration configuration;
  std::vector<StackResult> stacks;  // in the scenario's stack order
  const StackResult* find(const std::string& stack) const;
};

// One independent run: a stack of the model under a scenario, at one
// replication index. The pointers must outlive run_jobs().
struct RunJob {
  const Scenario* scenario = nullptr;
  const StackModel* stack = nullptr;
  int replication = 0;
};

// Runs every job with `threads` workers (0: one per core); the results are in
// the jobs' order and the same bits whatever the thread count. The first
// failure is rethrown once every thread has stopped. `progress`, if given,
// has the jobs added to its total and advances as each one finishes.
std::vector<RunResult> run_jobs(const Model& model, const std::vector<RunJob>& jobs,
                                unsigned threads = 0, Progress* progress = nullptr);

// The results of a scenario with every replication default: its
// configurations, and in each its stacks in order, `replications` long.
std::vector<ConfigurationResult> result_skeleton(const Model& model, const Scenario& scenario);

// Runs everything with `threads` workers (0: one per core). With `rule` on,
// each configuration x stack starts with the scenario's replications and
// adds more until its throughput meets the precision or the maximum
// (sequential.hpp).
std::vector<ConfigurationResult> run_experiment(const Model& model, const Scenario& scenario,
                                                unsigned threads = 0, Progress* progress = nullptr,
                                                const StoppingRule& rule = {});

// The stacks a scenario names, or all the model's in name order.
std::vector<std::string> stacks_of(const Scenario& scenario, const Model& model);

}  // namespace stacksim
