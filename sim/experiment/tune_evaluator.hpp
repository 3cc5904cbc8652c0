// One stack's configurations for `stacksim tune`, simulated on demand and
// kept: a point (one value per knob) at a replication count runs once, its
// replications through run_jobs at indices 0..reps-1, so every point shares
// the same seeds (common random numbers) and the bits do not depend on the
// thread count. Each point carries its summaries, whether it meets the goal,
// what binds it (the explanation) and the RAM its workers need.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/experiment/tune.hpp"

namespace stacksim {

class TuneEvaluator {
 public:
  TuneEvaluator(const Model& model, const TuneSpec& spec, const StackModel& stack,
                std::vector<TuneKnob> knobs);

  // The points in order, each at `reps` replications; those not yet run
  // are run together.
  std::vector<TunePoint> evaluate(const std::vector<std::vector<double>>& points, int reps);
  // Every point run at `reps` replications, in the order first run.
  std::vector<TunePoint> all(int reps) const;
  std::size_t cached(int reps) const;
  std::size_t runs() const { return runs_; }
  // The scenario at one point.
  Scenario scenario_at(const std::vector<double>& values) const;

 private:
  TunePoint summarise(const std::vector<double>& values, const Scenario& sc,
                      const StackResult& sr) const;

  const Model& model_;
  const TuneSpec& spec_;
  const StackModel& stack_;
  std::vector<TuneKnob> knobs_;
  std::map<std::pair<int, std::vector<double>>, TunePoint> cache_;
  std::vector<std::pair<int, std::vector<double>>> order_;
  std::size_t runs_ = 0;
};

// "workers" becomes workers.<type>; the others stay.
std::vector<TuneKnob> resolve_knobs(const std::vector<TuneKnob>& knobs, WorkerType type);
// The value as --set takes it: whole numbers without a fraction.
std::string knob_value_text(const TuneKnob& k, double v);

}  // namespace stacksim
