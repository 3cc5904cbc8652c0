#include "calibrate/plan.hpp"

#include <map>
#include <set>

#include "common/input_error.hpp"

namespace stacksim::calibrate {

void check_disjoint(const std::vector<CalibrationRecord>& fit_records,
                    const std::vector<CalibrationRecord>& validation_records) {
  std::map<std::string, const CalibrationRecord*> fitted;
  for (const CalibrationRecord& r : fit_records) fitted.emplace(configuration_key(r), &r);
  std::set<std::string> reported;
  std::string overlap;
  for (const CalibrationRecord& v : validation_records) {
    const std::string key = configuration_key(v);
    const auto it = fitted.find(key);
    if (it == fitted.end() || !reported.insert(key).second) continue;
    overlap += (overlap.empty() ? "" : "; ") + key + " (fitted from " + it->second->source +
               ", validated by " + v.source + ")";
  }
  if (!overlap.empty())
    throw InputError("validation records share " + std::to_string(reported.size()) +
                     " configuration(s) with the fitting records: " + overlap);
}

}  // namespace stacksim::calibrate

namespace stacksim::calibrate {

CalibrationRecord configuration_of(const live::RunConfig& c, const live::StackRecipes& recipes,
                                   int cpus_online) {
  const live::StackRecipe& recipe = live::find_stack(recipes, c.stack);
  const int cores = c.cores > 0 ? c.cores : cpus_online;
  CalibrationRecord r;
  r.id = "plan";
  r.source = "plan";
  r.stack = c.stack;
  r.db_mode = c.db_mode;
  r.workers = c.workers > 0 ? c.workers : live::default_workers(recipe.type, cores);
  r.clients = c.clients;
  r.sessions = c.sessions;
  r.cores = c.cores;
  r.delay_ms = c.delay_ms;
  r.cpus_online = cpus_online;
  return r;
}

std::vector<std::string> plan_configurations(const live::SweepPlan& plan,
                                             const live::StackRecipes& recipes, int cpus_online) {
  std::set<std::string> keys;
  for (const live::SweepPoint& p : plan.points)
    keys.insert(configuration_key(configuration_of(p.config, recipes, cpus_online)));
  return {keys.begin(), keys.end()};
}

void check_configurations_disjoint(const std::vector<std::string>& fit,
                                   const std::vector<std::string>& validation,
                                   const std::string& fit_what,
                                   const std::string& validation_what) {
  const std::set<std::string> fitted(fit.begin(), fit.end());
  std::string overlap;
  int n = 0;
  for (const std::string& v : std::set<std::string>(validation.begin(), validation.end())) {
    if (!fitted.count(v)) continue;
    ++n;
    overlap += (overlap.empty() ? "" : "; ") + v;
  }
  if (n > 0)
    throw InputError(
        validation_what + " shares " + std::to_string(n) + " configuration(s) with " + fit_what +
        " (a model must be validated on configurations it was not fitted from): " + overlap);
}

}  // namespace stacksim::calibrate
