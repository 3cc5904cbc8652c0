#include "calibrate/speed.hpp"

#include <cmath>
#include <cstdio>

#include "common/input_error.hpp"
#include "live/repeat_summary.hpp"

namespace stacksim::calibrate {

SpeedMeasurement measure_speed(const Model& model, const live::SweepPlan& plan,
                               const live::StackRecipes& recipes,
                               const std::vector<nlohmann::json>& records,
                               const ValidateOptions& simulation) {
  ValidateOptions o = simulation;
  o.at_measured_speed = false;  // the speed is what is asked for, not a prediction at it
  const ValidationReport rep = validate_model(model, plan, recipes, records, o);
  SpeedMeasurement m;
  m.plan = plan.path;
  std::vector<double> speeds;
  for (const ValidationPoint& v : rep.points) {
    if (!(v.cpu_us.median > 0 && v.cpu_us.predicted > 0)) continue;
    SpeedPoint p;
    p.stack = v.stack;
    p.configuration = v.group;
    p.model_cpu_us = v.cpu_us.predicted;
    p.measured_cpu_us = v.cpu_us.median;
    p.speed = v.cpu_us.predicted / v.cpu_us.median * model.host.speed;
    speeds.push_back(p.speed);
    m.points.push_back(p);
  }
  if (speeds.empty())
    throw InputError("no record of plan " + plan.path +
                     " has CPU figures: the speed cannot be measured");
  m.speed = live::spread_of(speeds).median;
  return m;
}

Model at_measured_speed(const Model& model, const SpeedMeasurement& m, const std::string& date) {
  Model out = model;
  out.source.clear();
  out.host.speed = m.speed;
  char speed[32];
  std::snprintf(speed, sizeof speed, "%.3f", m.speed);
  out.label = model.label + "; at speed " + speed + " measured on " + date + " by " + m.plan;
  out.provenance["speed"] = to_json(m);
  out.provenance["speed"]["date"] = date;
  return out;
}

nlohmann::json to_json(const SpeedMeasurement& m) {
  nlohmann::json points = nlohmann::json::array();
  for (const SpeedPoint& p : m.points)
    points.push_back({{"stack", p.stack},
                      {"configuration", p.configuration},
                      {"model_cpu_us_per_request", p.model_cpu_us},
                      {"measured_cpu_us_per_request", p.measured_cpu_us},
                      {"speed", p.speed}});
  return {{"speed", m.speed},
          {"method",
           "per point, the model's CPU per request (all groups) over the runs' median; the "
           "median over points"},
          {"plan", m.plan},
          {"store", m.store},
          {"points", points}};
}

std::string format_summary(const SpeedMeasurement& m) {
  std::string out = "The host's speed relative to the model's machine, from " +
                    std::to_string(m.points.size()) + " points of " + m.plan +
                    " (CPU us per request, model / measured):\n";
  char line[200];
  for (const SpeedPoint& p : m.points) {
    std::snprintf(line, sizeof line, "  %-24s %-48s %7.0f / %7.0f  %.3f\n", p.stack.c_str(),
                  p.configuration.c_str(), p.model_cpu_us, p.measured_cpu_us, p.speed);
    out += line;
  }
  std::snprintf(line, sizeof line, "Speed (median): %.3f\n", m.speed);
  return out + line;
}

}  // namespace stacksim::calibrate
