#include "sim/experiment/tune_evaluator.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "sim/experiment/explanation.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim {

std::vector<TuneKnob> resolve_knobs(const std::vector<TuneKnob>& knobs, WorkerType type) {
  std::vector<TuneKnob> out = knobs;
  for (TuneKnob& k : out)
    if (k.knob == "workers") k.knob = "workers." + std::string(to_string(type));
  return out;
}

std::string knob_value_text(const TuneKnob& k, double v) {
  if (k.integer || v == std::floor(v)) return std::to_string(static_cast<long long>(v));
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

TuneEvaluator::TuneEvaluator(const Model& model, const TuneSpec& spec, const StackModel& stack,
                             std::vector<TuneKnob> knobs)
    : model_(model), spec_(spec), stack_(stack), knobs_(std::move(knobs)) {}

Scenario TuneEvaluator::scenario_at(const std::vector<double>& values) const {
  Scenario sc = spec_.scenario;
  for (std::size_t i = 0; i < knobs_.size(); ++i)
    apply_setting(sc, knobs_[i].knob, knob_value_text(knobs_[i], values[i]));
  return sc;
}

std::vector<TunePoint> TuneEvaluator::evaluate(const std::vector<std::vector<double>>& points,
                                               int reps) {
  std::vector<std::vector<double>> fresh;
  std::vector<Scenario> scenarios;
  for (const std::vector<double>& p : points)
    if (!cache_.count({reps, p}) && std::find(fresh.begin(), fresh.end(), p) == fresh.end()) {
      fresh.push_back(p);
      scenarios.push_back(scenario_at(p));
    }
  std::vector<RunJob> jobs;
  for (const Scenario& sc : scenarios)
    for (int r = 0; r < reps; ++r) jobs.push_back({&sc, &stack_, r});
  const std::vector<RunResult> done = run_jobs(model_, jobs, spec_.threads, spec_.progress);
  runs_ += done.size();
  std::size_t j = 0;
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    StackResult sr{stack_.name, stack_.type, scenarios[i].workers.for_type(stack_.type), {}, {}};
    for (int r = 0; r < reps; ++r) sr.replications.push_back(done[j++]);
    cache_.emplace(std::make_pair(reps, fresh[i]), summarise(fresh[i], scenarios[i], sr));
    order_.emplace_back(reps, fresh[i]);
  }
  std::vector<TunePoint> out;
  for (const std::vector<double>& p : points) out.push_back(cache_.at({reps, p}));
  return out;
}

std::vector<TunePoint> TuneEvaluator::all(int reps) const {
  std::vector<TunePoint> out;
  for (const auto& key : order_)
    if (key.first == reps) out.push_back(cache_.at(key));
  return out;
}

std::size_t TuneEvaluator::cached(int reps) const {
  std::size_t n = 0;
  for (const auto& key : order_) n += key.first == reps;
  return n;
}

TunePoint TuneEvaluator::summarise(const std::vector<double>& values, const Scenario& sc,
                                   const StackResult& sr) const {
  TunePoint p;
  p.values = values;
  p.replications = sr.replications.size();
  p.throughput = sr.summary([](const RunResult& r) { return r.throughput_rps; });
  p.p50 = sr.summary([](const RunResult& r) { return r.p50_ms; });
  p.p99 = sr.summary([](const RunResult& r) { return r.p99_ms; });
  const bool p99_ok = !(spec_.p99_limit_ms > 0) || p.p99.mean <= spec_.p99_limit_ms;
  switch (spec_.goal) {
    case TuneGoal::kMaxThroughput:
      p.meets = true;
      break;
    case TuneGoal::kMaxThroughputUnderP99:
      p.meets = p99_ok;
      break;
    case TuneGoal::kLeastForThroughput:
      p.meets = p99_ok && p.throughput.mean >= spec_.target_rps;
      break;
  }
  p.workers = sc.workers.for_type(stack_.type);
  p.sessions = sc.sessions;
  p.connections = std::min(static_cast<double>(p.workers) * stack_.max_concurrency,
                           p.throughput.mean * 1e-3 * sr.mean(&RunResult::latency_mean_ms));
  if (stack_.memory) p.ram_mb = stack_.memory->mb_for(p.workers, p.connections);
  const Explanation e = explain(model_, stack_, sc, sr);
  p.binding = e.binding.resource;
  p.binding_formula = e.binding.formula;
  p.sentence = e.sentence;
  for (const Bound& b : e.analytic)
    if (b.resource == "workers" && std::isfinite(b.rps) && b.rps > 0)
      p.worker_hold_ms = 1e3 * p.workers * stack_.max_concurrency / b.rps;
  p.session_hold_ms = sr.mean(&RunResult::session_hold_ms);
  return p;
}

}  // namespace stacksim
