#include "sim/experiment/experiment.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "sim/scenario/scenario_io.hpp"

namespace stacksim {

std::string Configuration::label() const {
  if (settings.empty()) return scenario.name;
  std::string out;
  for (const auto& [key, value] : settings) {
    if (!out.empty()) out += ' ';
    out += key + "=" + value;
  }
  return out;
}

std::vector<Configuration> expand_sweep(const Scenario& scenario) {
  std::vector<Configuration> out{Configuration{scenario, {}}};
  out.front().scenario.sweep.clear();
  for (const auto& [key, values] : scenario.sweep) {
    std::vector<Configuration> next;
    for (const Configuration& c : out) {
      for (const std::string& v : values) {
        Configuration d = c;
        apply_setting(d.scenario, key, v);
        d.settings.emplace_back(key, v);
        next.push_back(std::move(d));
      }
    }
    out = std::move(next);
  }
  for (const Configuration& c : out) check_scenario(c.scenario);
  return out;
}

std::vector<std::string> stacks_of(const Scenario& scenario, const Model& model) {
  if (!scenario.stacks.empty()) return scenario.stacks;
  std::vector<std::string> all;
  for (const auto& [name, stack] : model.stacks) all.push_back(name);
  return all;
}

const StackResult* ConfigurationResult::find(const std::string& stack) const {
  for (const StackResult& s : stacks)
    if (s.stack == stack) return &s;
  return nullptr;
}

std::vector<RunResult> run_jobs(const Model& model, const std::vector<RunJob>& jobs,
                                unsigned threads, Progress* progress) {
  std::vector<RunResult> results(jobs.size());
  if (progress) progress->add_total(jobs.size());
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    for (std::size_t j; (j = next.fetch_add(1)) < jobs.size();) {
      try {
        results[j] = run_once(model, *jobs[j].stack, *jobs[j].scenario, jobs[j].replication);
        if (progress) progress->advance();
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = jobs.size();
      }
    }
  };
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads =
      static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(jobs.size(), 1)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return results;
}

std::vector<ConfigurationResult> result_skeleton(const Model& model, const Scenario& scenario) {
  const std::vector<std::string> names = stacks_of(scenario, model);
  std::vector<ConfigurationResult> results;
  for (const Configuration& c : expand_sweep(scenario)) {
    ConfigurationResult cr{c, {}};
    for (const std::string& name : names) {
      const StackModel& sm = model.stacks.at(name);
      StackResult sr{name, sm.type, c.scenario.workers.for_type(sm.type), {}, {}};
      sr.replications.resize(static_cast<std::size_t>(scenario.replications));
      cr.stacks.push_back(std::move(sr));
    }
    results.push_back(std::move(cr));
  }
  return results;
}

namespace {
// Sequential stopping with each configuration x stack a point of its own.
void replicate_each_stack(const Model& model, std::vector<ConfigurationResult>& results,
                          unsigned threads, Progress* progress, const StoppingRule& rule) {
  std::vector<std::pair<const Scenario*, StackResult*>> points;
  for (ConfigurationResult& cr : results)
    for (StackResult& sr : cr.stacks) points.emplace_back(&cr.configuration.scenario, &sr);
  const auto series_of = [&points](std::size_t i) {
    return PointSeries{&points[i].second->replications};
  };
  const auto run_more = [&](const std::vector<MoreReplications>& more) {
    std::vector<RunJob> jobs;
    for (const MoreReplications& m : more)
      for (int rep = m.first; rep < m.first + m.count; ++rep)
        jobs.push_back(
            {points[m.point].first, &model.stacks.at(points[m.point].second->stack), rep});
    const std::vector<RunResult> runs = run_jobs(model, jobs, threads, progress);
    std::size_t j = 0;
    for (const MoreReplications& m : more)
      for (int k = 0; k < m.count; ++k) points[m.point].second->replications.push_back(runs[j++]);
  };
  replicate_until_precise(points.size(), rule, series_of, run_more);
  for (auto& [scenario, sr] : points)
    sr->precision_met = meets_precision(sr->replications, rule.precision);
}
}  // namespace

std::vector<ConfigurationResult> run_experiment(const Model& model, const Scenario& scenario,
                                                unsigned threads, Progress* progress,
                                                const StoppingRule& rule) {
  std::vector<ConfigurationResult> results = result_skeleton(model, scenario);
  const int reps = scenario.replications;

  // Jobs are (configuration, stack, replication), in that order.
  std::vector<RunJob> jobs;
  for (const ConfigurationResult& cr : results)
    for (const StackResult& sr : cr.stacks)
      for (int rep = 0; rep < reps; ++rep)
        jobs.push_back({&cr.configuration.scenario, &model.stacks.at(sr.stack), rep});
  const std::vector<RunResult> runs = run_jobs(model, jobs, threads, progress);
  std::size_t j = 0;
  for (ConfigurationResult& cr : results)
    for (StackResult& sr : cr.stacks)
      for (RunResult& r : sr.replications) r = runs[j++];
  if (rule.on()) replicate_each_stack(model, results, threads, progress, rule);
  return results;
}

}  // namespace stacksim
