#include "calibrate/plan_runs.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "common/input_error.hpp"
#include "live/results_store.hpp"

namespace stacksim::calibrate {

int online_cpus() {
  return static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<CalibrationRecord> plan_records(const live::SweepPlan& plan, const std::string& store,
                                            const std::vector<nlohmann::json>& stored) {
  std::set<std::string> keys;
  for (const live::SweepPoint& p : plan.points) keys.insert(p.key);
  std::vector<CalibrationRecord> out;
  long line = 0;
  for (const nlohmann::json& j : stored) {
    ++line;
    if (live::belongs_to(plan, j) && keys.count(j.at("sweep").value("key", "")))
      out.push_back(record_from_live_json(j, store + ":" + std::to_string(line)));
  }
  return out;
}

void announce(const live::SweepPlan& plan, const std::string& store, bool will_run) {
  const auto pending = live::pending_points(plan, live::read_records(store));
  double seconds = 0;
  for (const live::SweepPoint& p : pending)
    seconds += p.config.duration_s + p.config.warmup_s + 3.0;  // + start and stop, measured ~3 s
  std::fprintf(stderr, "plan %s: %zu runs, %zu already in %s%s\n", plan.path.c_str(),
               plan.points.size(), plan.points.size() - pending.size(), store.c_str(),
               will_run && !pending.empty()
                   ? (", about " + std::to_string(static_cast<int>(seconds / 60 + 1)) +
                      " min to run the rest")
                         .c_str()
                   : "");
}

StoredPlan read_plan_records(const live::SweepPlan& plan, const std::string& store,
                             const std::string& plan_path) {
  StoredPlan out;
  out.stored = live::read_records(store);
  out.records = plan_records(plan, store, out.stored);
  if (out.records.empty()) throw InputError(store + ": holds no record of plan " + plan_path);
  return out;
}

void require_stacks_in_prior(const live::SweepPlan& plan, const std::string& plan_path,
                             const Model& prior, const std::string& prior_path) {
  for (const live::SweepPoint& p : plan.points)
    if (!prior.stacks.count(p.config.stack))
      throw InputError(plan_path + ": stack " + p.config.stack + " is not in the prior model " +
                       prior_path);
}

int announce_and_run(const live::SweepPlan& plan, const std::string& store, bool run) {
  announce(plan, store, run);
  if (!run) return 0;
  live::SweepOptions so;
  so.store = store;
  return live::run_sweep(plan, so);
}

void keep_stacks(live::SweepPlan& plan, const std::vector<std::string>& stacks,
                 const std::string& plan_path) {
  if (stacks.empty()) return;
  for (const std::string& s : stacks)
    if (std::none_of(plan.points.begin(), plan.points.end(),
                     [&s](const live::SweepPoint& p) { return p.config.stack == s; }))
      throw InputError("--stack " + s + ": the plan " + plan_path + " has no point of this stack");
  std::erase_if(plan.points, [&stacks](const live::SweepPoint& p) {
    return std::find(stacks.begin(), stacks.end(), p.config.stack) == stacks.end();
  });
}

}  // namespace stacksim::calibrate
