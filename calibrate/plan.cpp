#include "calibrate/plan.hpp"

#include <map>
#include <set>

#include "sim/scenario/input_error.hpp"

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
